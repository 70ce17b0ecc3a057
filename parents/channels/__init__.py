"""The parent channel: how a message reaches a family, by SMS or WeChat.

Shaped like Django's email backends: a setting names the backend of each
channel (``PARENT_SMS_BACKEND``, ``PARENT_WECHAT_BACKEND``), and the outbox
calls ``send(message)`` on it. ``file`` (one file per message under
``.data/messages/``), ``locmem`` (tests) and ``console`` ship for development;
``alibaba`` and ``tencent`` send SMS through the providers' official SDKs and
``wechat`` sends Official Account template messages.

A backend answers in one of three ways, and the outbox treats each its own way:
- returns ``Sent`` (the provider's message id and answer, kept on the row);
- raises ``Refused`` for what no retry can fix (a bad number, a template the
  provider refuses, a parent who unfollowed the account): the row fails at
  once and HR sees the reason;
- raises ``Retry`` for what may pass later (rate limit, network, balance): the
  outbox backs off. ``quota=True`` marks a refusal for balance or quota, which
  the costs screen warns about.
"""

from __future__ import annotations

import dataclasses
import re

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

SMS = "sms"
WECHAT = "wechat"
CHANNELS = (SMS, WECHAT)

# Short names a setting may use instead of a dotted path.
BACKENDS = {
    "file": "parents.channels.simple.FileBackend",
    "locmem": "parents.channels.simple.LocmemBackend",
    "console": "parents.channels.simple.ConsoleBackend",
    "alibaba": "parents.channels.alibaba.AlibabaSmsBackend",
    "tencent": "parents.channels.tencent.TencentSmsBackend",
    "wechat": "parents.channels.wechat.WechatTemplateBackend",
}

# A mainland mobile number: what both SMS providers accept for China.
MOBILE = re.compile(r"^1[3-9]\d{9}$")


# Why a message was not sent, in words for HR (the row keeps the code).
REASONS = {
    "bad_number": _("The phone number is not a mobile number."),
    "bad_openid": _("The WeChat account is not one of the programme's followers."),
    "not_following": _("The parent no longer follows the programme's WeChat account."),
    "template_refused": _("The provider refused the message's template."),
    "signature_refused": _("The provider refused the SMS signature."),
    "template_missing": _("No approved template is configured for this message."),
    "not_configured": _("The provider's account is not configured."),
    "network": _("The provider could not be reached; it is tried again."),
}


def reason_text(code: str) -> str:
    if code in REASONS:
        return str(REASONS[code])
    if code.startswith("provider_error:"):
        return str(_("The provider answered %(code)s; it is tried again.")) % {
            "code": code.split(":", 1)[1]
        }
    return code


@dataclasses.dataclass(frozen=True)
class ParentMessage:
    """One message to one parent on one channel.

    ``to`` is a mainland mobile number (SMS) or the parent's OpenID for the
    programme's Official Account (WeChat). ``event`` names the approved
    template (configured per provider); ``params`` fill it, in order; ``text``
    is the same message written out, for the development backends and the log.
    """

    channel: str
    to: str
    event: str
    params: dict[str, str]
    text: str
    key: str = ""
    link: str = ""


@dataclasses.dataclass(frozen=True)
class Sent:
    provider_id: str
    answer: dict


class ChannelError(Exception):
    def __init__(self, reason: str, answer: dict | None = None, *, quota: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.answer = answer or {}
        self.quota = quota


class Refused(ChannelError):
    """Permanent: sending again cannot succeed."""


class Retry(ChannelError):
    """Transient: the outbox tries again later."""


def normalise_mobile(number: str) -> str:
    """The 11-digit mainland number, or Refused: a number no provider will take is
    refused here, before it costs a request."""
    digits = re.sub(r"[\s\-]", "", number or "")
    digits = re.sub(r"^(\+?86)", "", digits)
    if not MOBILE.match(digits):
        raise Refused("bad_number", {"to": number})
    return digits


def template_for(templates: dict, message: ParentMessage) -> str:
    """The provider's approved template for this event, or Refused (a template
    that is not configured is the operator's to fix, not something to retry)."""
    template = templates.get(message.event)
    if not template:
        raise Refused("template_missing", {"event": message.event})
    return template


def require(*names: str) -> None:
    """A production backend without its credentials cannot send: retried with
    back-off (the operator's to fix), not a crash in the worker."""
    missing = [name for name in names if not getattr(settings, name, "")]
    if missing:
        raise Retry("not_configured", {"missing": missing})


def backend_for(channel: str):
    path = settings.PARENT_CHANNEL_BACKENDS[channel]
    return import_string(BACKENDS.get(path, path))()


def send(message: ParentMessage) -> Sent:
    return backend_for(message.channel).send(message)

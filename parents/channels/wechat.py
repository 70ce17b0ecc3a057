"""WeChat Official Account template messages, through the documented HTTP API.

A thin client (no SDK: the usual library's last stable release is from 2021):
an access token is fetched with the app id and secret, cached in the shared
cache for every process until shortly before it expires (two hours), and
fetched again once when the API says it is invalid or expired.
API: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.cache import cache

from . import ParentMessage, Refused, Retry, Sent, require, template_for

# errcode -> why no retry can help.
PERMANENT = {
    40003: "bad_openid",  # not an OpenID of this account
    43004: "not_following",  # the parent unfollowed the account
    43101: "not_following",  # the parent refused the account's messages
    40037: "template_refused",  # no such template
    47003: "template_refused",  # the template's fields do not match
}
TOKEN_INVALID = {40001, 40014, 42001}
QUOTA = {45009, 45047}  # daily call limit; too many messages to one user


class WechatTemplateBackend:
    def __init__(self):
        require("WECHAT_APP_ID", "WECHAT_APP_SECRET")
        self.base = settings.WECHAT_API_BASE.rstrip("/")
        self.cache_key = f"wechat-token:{settings.WECHAT_APP_ID}"

    def _call(self, url: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=data)
        if data is not None:
            request.add_header("Content-Type", "application/json; charset=utf-8")
        try:
            with urllib.request.urlopen(request, timeout=settings.PARENT_CHANNEL_TIMEOUT) as answer:
                return json.loads(answer.read(1 << 20) or b"{}")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            raise Retry("network", {"error": type(error).__name__}) from error

    def _token(self, *, fresh: bool = False) -> str:
        token = None if fresh else cache.get(self.cache_key)
        if token:
            return token
        query = urllib.parse.urlencode(
            {
                "grant_type": "client_credential",
                "appid": settings.WECHAT_APP_ID,
                "secret": settings.WECHAT_APP_SECRET,
            }
        )
        answer = self._call(f"{self.base}/cgi-bin/token?{query}")
        token = answer.get("access_token")
        if not token:
            # A wrong secret or an address not on the account's allow list: the
            # operator's to fix; retried with back-off meanwhile.
            raise Retry(f"provider_error:{answer.get('errcode')}", answer)
        lifetime = int(answer.get("expires_in") or 7200)
        cache.set(self.cache_key, token, max(lifetime - 300, 60))
        return token

    def send(self, message: ParentMessage) -> Sent:
        body = {
            "touser": message.to,
            "template_id": template_for(settings.WECHAT_TEMPLATES, message),
            "data": {name: {"value": value} for name, value in message.params.items()},
        }
        if message.link:
            body["url"] = message.link
        answer = {}
        for fresh in (False, True):
            token = urllib.parse.quote(self._token(fresh=fresh))
            answer = self._call(
                f"{self.base}/cgi-bin/message/template/send?access_token={token}", body
            )
            if answer.get("errcode") not in TOKEN_INVALID:
                break
            cache.delete(self.cache_key)
        code = answer.get("errcode")
        if code == 0:
            return Sent(provider_id=str(answer.get("msgid", "")), answer=answer)
        if code in PERMANENT:
            raise Refused(PERMANENT[code], answer)
        raise Retry(f"provider_error:{code}", answer, quota=code in QUOTA)

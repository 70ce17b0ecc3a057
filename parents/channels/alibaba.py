"""SMS through Alibaba Cloud (dysmsapi 2017-05-25), with its official SDK.

The provider answers HTTP 200 with a ``Code`` for each outcome of a send, so
the outcome is read from the body: ``OK``, or an ``isv.*`` refusal. Its error
codes: https://help.aliyun.com/zh/sms/developer-reference/api-error-codes
"""

from __future__ import annotations

import json

from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as openapi
from darabonba.exceptions import DaraException
from darabonba.runtime import RuntimeOptions
from django.conf import settings

from . import ParentMessage, Refused, Retry, Sent, normalise_mobile, require, template_for

# Codes no retry can fix: the number, the template, the signature, the text.
PERMANENT = {
    "isv.MOBILE_NUMBER_ILLEGAL": "bad_number",
    "isv.MOBILE_COUNT_OVER_LIMIT": "bad_number",
    "isv.BLACK_KEY_CONTROL_LIMIT": "template_refused",
    "isv.SMS_TEMPLATE_ILLEGAL": "template_refused",
    "isv.TEMPLATE_MISSING_PARAMETERS": "template_refused",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "template_refused",
    "isv.PARAM_LENGTH_LIMIT": "template_refused",
    "isv.SMS_SIGNATURE_ILLEGAL": "signature_refused",
    "isv.SMS_SIGN_ILLEGAL": "signature_refused",
}
# Codes that pass with time or money: the outbox backs off; the costs screen warns.
QUOTA = {"isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE", "isv.DAY_LIMIT_CONTROL"}


class AlibabaSmsBackend:
    def __init__(self):
        require("ALIBABA_ACCESS_KEY_ID", "ALIBABA_ACCESS_KEY_SECRET", "SMS_SIGN_NAME")
        self.client = Client(
            openapi.Config(
                access_key_id=settings.ALIBABA_ACCESS_KEY_ID,
                access_key_secret=settings.ALIBABA_ACCESS_KEY_SECRET,
                endpoint=settings.ALIBABA_SMS_ENDPOINT,
                protocol=settings.ALIBABA_SMS_PROTOCOL,
            )
        )
        timeout_ms = int(settings.PARENT_CHANNEL_TIMEOUT * 1000)
        self.runtime = RuntimeOptions(read_timeout=timeout_ms, connect_timeout=timeout_ms)

    def send(self, message: ParentMessage) -> Sent:
        request = models.SendSmsRequest(
            phone_numbers=normalise_mobile(message.to),
            sign_name=settings.SMS_SIGN_NAME,
            template_code=template_for(settings.ALIBABA_SMS_TEMPLATES, message),
            template_param=json.dumps(message.params, ensure_ascii=False),
            out_id=message.key[:64] or None,
        )
        try:
            response = self.client.send_sms_with_options(request, self.runtime)
        except DaraException as error:
            answer = {"Code": error.code, "Message": error.message}
            raise Retry(f"provider_error:{error.code}", answer) from error
        except Exception as error:  # the network: refused, reset, timed out
            raise Retry("network", {"error": type(error).__name__}) from error
        answer = response.body.to_map()
        code = answer.get("Code")
        if code == "OK":
            return Sent(provider_id=answer.get("BizId") or "", answer=answer)
        if code in PERMANENT:
            raise Refused(PERMANENT[code], answer)
        raise Retry(f"provider_error:{code}", answer, quota=code in QUOTA)

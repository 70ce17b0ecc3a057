"""SMS through Tencent Cloud (sms 2021-01-11), with its official SDK.

A send answers one status per number (``SendStatusSet``); a request the
service refuses as a whole raises ``TencentCloudSDKException`` with a code.
Error codes: https://cloud.tencent.com/document/product/382/52075
"""

from __future__ import annotations

from django.conf import settings
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from . import ParentMessage, Refused, Retry, Sent, normalise_mobile, require, template_for

PERMANENT_PREFIXES = {
    "InvalidParameterValue.IncorrectPhoneNumber": "bad_number",
    "FailedOperation.PhoneNumberInBlacklist": "bad_number",
    "FailedOperation.PhoneNumberParseFail": "bad_number",
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": "bad_number",
    "FailedOperation.TemplateIncorrectOrUnapproved": "template_refused",
    "InvalidParameterValue.TemplateParameterFormatError": "template_refused",
    "InvalidParameterValue.TemplateParameterLengthLimit": "template_refused",
    "FailedOperation.ContainSensitiveWord": "template_refused",
    "FailedOperation.SignatureIncorrectOrUnapproved": "signature_refused",
}
QUOTA_PREFIXES = ("FailedOperation.InsufficientBalanceInSmsPackage", "LimitExceeded.")


def _outcome(code: str, answer: dict):
    for prefix, reason in PERMANENT_PREFIXES.items():
        if code.startswith(prefix):
            return Refused(reason, answer)
    return Retry(f"provider_error:{code}", answer, quota=code.startswith(QUOTA_PREFIXES))


class TencentSmsBackend:
    def __init__(self):
        require("TENCENT_SECRET_ID", "TENCENT_SECRET_KEY", "TENCENT_SMS_APP_ID", "SMS_SIGN_NAME")
        http = HttpProfile(
            protocol=settings.TENCENT_SMS_PROTOCOL,
            endpoint=settings.TENCENT_SMS_ENDPOINT,
            reqTimeout=int(settings.PARENT_CHANNEL_TIMEOUT),
        )
        self.client = sms_client.SmsClient(
            credential.Credential(settings.TENCENT_SECRET_ID, settings.TENCENT_SECRET_KEY),
            settings.TENCENT_SMS_REGION,
            ClientProfile(httpProfile=http),
        )

    def send(self, message: ParentMessage) -> Sent:
        request = models.SendSmsRequest()
        request.PhoneNumberSet = ["+86" + normalise_mobile(message.to)]
        request.SmsSdkAppId = settings.TENCENT_SMS_APP_ID
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = template_for(settings.TENCENT_SMS_TEMPLATES, message)
        # Tencent's templates take their parameters by position ({1}, {2}, ...).
        request.TemplateParamSet = [str(value) for value in message.params.values()]
        request.SessionContext = message.key[:128]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            answer = {"Code": error.code, "Message": error.message, "RequestId": error.requestId}
            if error.code in ("ClientNetworkError", "ServerNetworkError"):
                raise Retry("network", answer) from error
            raise _outcome(error.code or "", answer) from error
        except Exception as error:  # an answer that is not the provider's JSON
            raise Retry("network", {"error": type(error).__name__}) from error
        answer = {
            "RequestId": response.RequestId,
            "SendStatusSet": [status._serialize() for status in response.SendStatusSet or []],
        }
        status = (response.SendStatusSet or [None])[0]
        if status is None:
            raise Retry("provider_error:empty", answer)
        if status.Code == "Ok":
            return Sent(provider_id=status.SerialNo or "", answer=answer)
        raise _outcome(status.Code or "", answer)

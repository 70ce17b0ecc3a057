"""The parent channel's backends, each through its real SDK or API client
against a local stand-in that answers as the provider documents."""

import json

import pytest
from django.core.cache import cache

from parents import channels
from parents.channels import ParentMessage, Refused, Retry, simple

from . import standin


def message(channel="sms", to="13711112222", event="checked_in", **extra):
    return ParentMessage(
        channel=channel,
        to=to,
        event=event,
        params={"child": "小雨", "time": "07:52"},
        text="小雨 07:52 已到校",
        key="checked_in:1:2026-07-06",
        **extra,
    )


@pytest.fixture
def provider():
    with standin.Provider() as running:
        yield running


@pytest.fixture
def alibaba(settings, provider):
    settings.PARENT_CHANNEL_BACKENDS = {"sms": "alibaba", "wechat": "locmem"}
    settings.ALIBABA_SMS_ENDPOINT = provider.address
    settings.ALIBABA_SMS_PROTOCOL = "http"
    settings.ALIBABA_ACCESS_KEY_ID = "key-id"
    settings.ALIBABA_ACCESS_KEY_SECRET = "key-secret"
    settings.SMS_SIGN_NAME = "儿童之家"
    settings.ALIBABA_SMS_TEMPLATES = {"checked_in": "SMS_100001"}
    settings.PARENT_CHANNEL_TIMEOUT = 2
    return provider


@pytest.fixture
def tencent(settings, provider):
    settings.PARENT_CHANNEL_BACKENDS = {"sms": "tencent", "wechat": "locmem"}
    settings.TENCENT_SMS_ENDPOINT = provider.address
    settings.TENCENT_SMS_PROTOCOL = "http"
    settings.TENCENT_SECRET_ID = "secret-id"
    settings.TENCENT_SECRET_KEY = "secret-key"
    settings.TENCENT_SMS_APP_ID = "1400000001"
    settings.SMS_SIGN_NAME = "儿童之家"
    settings.TENCENT_SMS_TEMPLATES = {"checked_in": "449739"}
    settings.PARENT_CHANNEL_TIMEOUT = 2
    return provider


@pytest.fixture
def wechat(settings, provider):
    settings.PARENT_CHANNEL_BACKENDS = {"sms": "locmem", "wechat": "wechat"}
    settings.WECHAT_API_BASE = f"http://{provider.address}"
    settings.WECHAT_APP_ID = "wx-app"
    settings.WECHAT_APP_SECRET = "wx-secret"
    settings.WECHAT_TEMPLATES = {"checked_in": "TPL-checked-in"}
    settings.PARENT_CHANNEL_TIMEOUT = 2
    cache.delete("wechat-token:wx-app")
    return provider


# --- Alibaba Cloud -------------------------------------------------------------


def test_alibaba_sends_the_approved_template_with_the_signature(alibaba):
    alibaba.answer("/", standin.alibaba())
    sent = channels.send(message(to="+86 137-1111-2222"))
    assert sent.provider_id == "900619746936498440^0"
    (request,) = alibaba.requests
    assert request["query"]["PhoneNumbers"] == "13711112222"
    assert request["query"]["SignName"] == "儿童之家"
    assert request["query"]["TemplateCode"] == "SMS_100001"
    assert json.loads(request["query"]["TemplateParam"]) == {"child": "小雨", "time": "07:52"}


@pytest.mark.parametrize(
    "code, reason",
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", "bad_number"),
        ("isv.SMS_TEMPLATE_ILLEGAL", "template_refused"),
    ],
)
def test_alibaba_refusals_that_no_retry_fixes_fail_at_once(alibaba, code, reason):
    alibaba.answer("/", standin.alibaba(code, "refused"))
    with pytest.raises(Refused) as refused:
        channels.send(message())
    assert refused.value.reason == reason
    assert refused.value.answer["Code"] == code


def test_alibaba_rate_limit_is_retried_later(alibaba):
    alibaba.answer("/", standin.alibaba("isv.BUSINESS_LIMIT_CONTROL", "触发流控"))
    with pytest.raises(Retry) as retry:
        channels.send(message())
    assert not retry.value.quota


def test_alibaba_balance_is_retried_and_flagged_for_the_costs_screen(alibaba):
    alibaba.answer("/", standin.alibaba("isv.AMOUNT_NOT_ENOUGH", "余额不足"))
    with pytest.raises(Retry) as retry:
        channels.send(message())
    assert retry.value.quota


def test_alibaba_unreachable_is_retried(settings, alibaba):
    settings.ALIBABA_SMS_ENDPOINT = "127.0.0.1:9"  # discard: nothing listens
    with pytest.raises(Retry) as retry:
        channels.send(message())
    assert retry.value.reason == "network"


# --- Tencent Cloud ------------------------------------------------------------


def test_tencent_sends_the_template_with_its_parameters_in_order(tencent):
    tencent.answer("/", standin.tencent())
    sent = channels.send(message())
    assert sent.provider_id == "5000:1045710669157053657849499619"
    (request,) = tencent.requests
    assert request["headers"]["X-TC-Action"] == "SendSms"
    assert request["body"]["PhoneNumberSet"] == ["+8613711112222"]
    assert request["body"]["TemplateId"] == "449739"
    assert request["body"]["TemplateParamSet"] == ["小雨", "07:52"]
    assert request["body"]["SmsSdkAppId"] == "1400000001"


@pytest.mark.parametrize(
    "code, reason",
    [
        ("InvalidParameterValue.IncorrectPhoneNumber", "bad_number"),
        ("FailedOperation.TemplateIncorrectOrUnapproved", "template_refused"),
    ],
)
def test_tencent_refusals_that_no_retry_fixes_fail_at_once(tencent, code, reason):
    tencent.answer("/", standin.tencent(code, "refused"))
    with pytest.raises(Refused) as refused:
        channels.send(message())
    assert refused.value.reason == reason


def test_tencent_rate_limit_is_retried_and_flagged(tencent):
    tencent.answer("/", standin.tencent("LimitExceeded.PhoneNumberDailyLimit", "单日上限"))
    with pytest.raises(Retry) as retry:
        channels.send(message())
    assert retry.value.quota


def test_tencent_a_request_refused_as_a_whole_is_classified(tencent):
    tencent.answer("/", standin.tencent_error("FailedOperation.TemplateIncorrectOrUnapproved"))
    with pytest.raises(Refused):
        channels.send(message())
    tencent.answer("/", standin.tencent_error("InternalError.Timeout"))
    with pytest.raises(Retry):
        channels.send(message())


# --- WeChat Official Account -------------------------------------------------------


def test_wechat_sends_a_template_message_with_a_cached_token(wechat):
    wechat.answer("/cgi-bin/token", standin.wechat_token("T1"))
    wechat.answer("/cgi-bin/message/template/send", standin.wechat())
    link = "https://example.org/p/abc"
    channels.send(message("wechat", to="oOPENID", link=link))
    channels.send(message("wechat", to="oOPENID", link=link))
    tokens = [r for r in wechat.requests if r["path"] == "/cgi-bin/token"]
    sends = [r for r in wechat.requests if r["path"] == "/cgi-bin/message/template/send"]
    assert len(tokens) == 1, "the token is fetched once and cached"
    assert tokens[0]["query"] == {
        "grant_type": "client_credential",
        "appid": "wx-app",
        "secret": "wx-secret",
    }
    assert len(sends) == 2
    assert sends[0]["query"]["access_token"] == "T1"
    assert sends[0]["body"]["touser"] == "oOPENID"
    assert sends[0]["body"]["template_id"] == "TPL-checked-in"
    assert sends[0]["body"]["url"] == link
    assert sends[0]["body"]["data"]["child"] == {"value": "小雨"}


def test_wechat_an_expired_token_is_fetched_again_once(wechat):
    wechat.answer("/cgi-bin/token", standin.wechat_token("OLD"), standin.wechat_token("NEW"))
    wechat.answer(
        "/cgi-bin/message/template/send",
        standin.wechat(42001, "access_token expired"),
        standin.wechat(),
    )
    assert channels.send(message("wechat", to="oOPENID")).provider_id == "200228332"
    sends = [r for r in wechat.requests if r["path"] == "/cgi-bin/message/template/send"]
    assert [s["query"]["access_token"] for s in sends] == ["OLD", "NEW"]


@pytest.mark.parametrize(
    "errcode, reason",
    [(43004, "not_following"), (40037, "template_refused"), (40003, "bad_openid")],
)
def test_wechat_refusals_fail_at_once(wechat, errcode, reason):
    wechat.answer("/cgi-bin/token", standin.wechat_token())
    wechat.answer("/cgi-bin/message/template/send", standin.wechat(errcode, "refused"))
    with pytest.raises(Refused) as refused:
        channels.send(message("wechat", to="oOPENID"))
    assert refused.value.reason == reason


def test_wechat_daily_limit_is_retried_and_flagged(wechat):
    wechat.answer("/cgi-bin/token", standin.wechat_token())
    wechat.answer(
        "/cgi-bin/message/template/send", standin.wechat(45009, "reach max api daily quota limit")
    )
    with pytest.raises(Retry) as retry:
        channels.send(message("wechat", to="oOPENID"))
    assert retry.value.quota


# --- What every backend shares --------------------------------------------------------


@pytest.mark.parametrize("backend", ["locmem", "file", "console", "alibaba", "tencent"])
def test_a_malformed_number_is_refused_before_any_provider_is_asked(settings, provider, backend):
    settings.PARENT_CHANNEL_BACKENDS = {"sms": backend, "wechat": "locmem"}
    settings.ALIBABA_SMS_ENDPOINT = settings.TENCENT_SMS_ENDPOINT = provider.address
    settings.ALIBABA_SMS_TEMPLATES = settings.TENCENT_SMS_TEMPLATES = {"checked_in": "1"}
    settings.ALIBABA_ACCESS_KEY_ID = settings.ALIBABA_ACCESS_KEY_SECRET = "key"
    settings.TENCENT_SECRET_ID = settings.TENCENT_SECRET_KEY = settings.TENCENT_SMS_APP_ID = "key"
    settings.SMS_SIGN_NAME = "儿童之家"
    for number in ("12345", "2371111222", "137111122223", "", "１３７１１１１２２２２"):
        with pytest.raises(Refused) as refused:
            channels.send(message(to=number))
        assert refused.value.reason == "bad_number"
    assert provider.requests == []


def test_an_event_without_an_approved_template_is_refused(alibaba):
    with pytest.raises(Refused) as refused:
        channels.send(message(event="no_such_event"))
    assert refused.value.reason == "template_missing"
    assert alibaba.requests == []


def test_the_file_backend_writes_one_file_per_message(settings, tmp_path):
    settings.PARENT_CHANNEL_BACKENDS = {"sms": "file", "wechat": "file"}
    settings.PARENT_MESSAGES_DIR = tmp_path / "messages"
    channels.send(message())
    channels.send(message("wechat", to="oOPENID"))
    files = sorted((tmp_path / "messages").iterdir())
    assert len(files) == 2
    kept = json.loads(files[0].read_text(encoding="utf-8"))
    assert kept["text"] == "小雨 07:52 已到校"


def test_the_locmem_backend_keeps_what_it_sent(settings):
    settings.PARENT_CHANNEL_BACKENDS = {"sms": "locmem", "wechat": "locmem"}
    simple.outbox.clear()
    channels.send(message())
    assert [m.to for m in simple.outbox] == ["13711112222"]


def test_a_provider_without_its_credentials_is_retried_not_crashed(settings):
    settings.PARENT_CHANNEL_BACKENDS = {"sms": "tencent", "wechat": "wechat"}
    settings.TENCENT_SECRET_ID = settings.WECHAT_APP_ID = ""
    for channel, to in (("sms", "13711112222"), ("wechat", "oOPENID")):
        with pytest.raises(Retry) as retry:
            channels.send(message(channel, to=to))
        assert retry.value.reason == "not_configured"

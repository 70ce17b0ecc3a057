"""Parent messages for real: a Celery worker and the relay (as `make run` starts
them), the project's broker, and each provider's real SDK against a local
stand-in. Each message once; a refusal fails at once; a rate limit waits."""

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment
from notifications.models import Notification
from parents.models import ParentContact
from tests.builders import ChildBuilder, EnrollmentBuilder, WorkerBuilder, consent_all
from tests.notifications.test_delivery import celery_worker, free_port, wait_for

from . import standin

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(settings):
    import uuid

    settings.NOTIFICATIONS_QUEUE = f"test-{uuid.uuid4().hex[:8]}"
    return settings.NOTIFICATIONS_QUEUE


def applied_child(site, phone="13711112222", openid=""):
    parent = WorkerBuilder(factory=site.factory, name="王芳", phone=phone)
    child = ChildBuilder(factory=site.factory, name="王小雨", guardian=parent)
    ParentContact.objects.create(
        worker=parent, consented=True, consent_at=timezone.now(), wechat_openid=openid
    )
    enrollment = EnrollmentBuilder(season=site.season, child=child, status="applied")
    consent_all(enrollment)
    return enrollment


def enroll_all(client, site):
    client.force_login(site.hr)
    ids = list(Enrollment.objects.values_list("pk", flat=True))
    client.post(
        reverse("enrollment:applications", args=[site.season.pk]),
        {"action": "enroll", "selected": ids},
    )


PROVIDERS = {
    "alibaba": lambda p: {
        "PARENT_SMS_BACKEND": "alibaba",
        "ALIBABA_SMS_ENDPOINT": p.address,
        "ALIBABA_SMS_PROTOCOL": "http",
        "ALIBABA_ACCESS_KEY_ID": "id",
        "ALIBABA_ACCESS_KEY_SECRET": "secret",
        "ALIBABA_SMS_TEMPLATES": "enrolled=SMS_1",
        "SMS_SIGN_NAME": "儿童之家",
    },
    "tencent": lambda p: {
        "PARENT_SMS_BACKEND": "tencent",
        "TENCENT_SMS_ENDPOINT": p.address,
        "TENCENT_SMS_PROTOCOL": "http",
        "TENCENT_SECRET_ID": "id",
        "TENCENT_SECRET_KEY": "key",
        "TENCENT_SMS_APP_ID": "1400",
        "TENCENT_SMS_TEMPLATES": "enrolled=449739",
        "SMS_SIGN_NAME": "儿童之家",
    },
}
OK = {"alibaba": standin.alibaba(), "tencent": standin.tencent()}
REFUSED = {
    "alibaba": standin.alibaba("isv.MOBILE_NUMBER_ILLEGAL"),
    "tencent": standin.tencent("InvalidParameterValue.IncorrectPhoneNumber"),
}
LIMITED = {
    "alibaba": standin.alibaba("isv.BUSINESS_LIMIT_CONTROL"),
    "tencent": standin.tencent("LimitExceeded.PhoneNumberDailyLimit"),
}


@pytest.mark.parametrize("provider_name", ["alibaba", "tencent"])
def test_an_enrollment_reaches_the_parent_once_through_the_provider(
    client, site, queue, provider_name
):
    applied_child(site)
    with standin.Provider() as provider:
        provider.answer("/", OK[provider_name])
        env = PROVIDERS[provider_name](provider)
        with celery_worker(queue=queue, smtp_port=free_port(), **env):
            enroll_all(client, site)
            row = Notification.objects.get(channel="sms")
            assert wait_for(lambda: Notification.objects.get(pk=row.pk).status == "sent")
        row.refresh_from_db()
    assert len(provider.requests) == 1
    assert row.attempts == 1 and row.provider_id


@pytest.mark.parametrize(
    "provider_name, answers, status, error",
    [
        ("alibaba", REFUSED, "failed", "bad_number"),
        ("tencent", LIMITED, "pending", "provider_error:LimitExceeded.PhoneNumberDailyLimit"),
    ],
)
def test_a_refusal_fails_at_once_and_a_rate_limit_waits(
    client, site, queue, provider_name, answers, status, error
):
    applied_child(site)
    with standin.Provider() as provider:
        provider.answer("/", answers[provider_name])
        env = PROVIDERS[provider_name](provider)
        with celery_worker(queue=queue, smtp_port=free_port(), **env):
            enroll_all(client, site)
            row = Notification.objects.get(channel="sms")
            assert wait_for(lambda: Notification.objects.get(pk=row.pk).attempts == 1)
            assert wait_for(lambda: Notification.objects.get(pk=row.pk).status == status)
    row.refresh_from_db()
    assert row.last_error == error and row.attempts == 1 and len(provider.requests) == 1
    if status == "pending":
        assert row.next_attempt_at > timezone.now() and row.quota_refused


def test_wechat_reaches_the_parent_with_one_token(client, site, queue):
    applied_child(site, phone="", openid="oOPENID")
    with standin.Provider() as provider:
        provider.answer("/cgi-bin/token", standin.wechat_token())
        provider.answer("/cgi-bin/message/template/send", standin.wechat())
        env = {
            "PARENT_WECHAT_BACKEND": "wechat",
            "WECHAT_API_BASE": f"http://{provider.address}",
            "WECHAT_APP_ID": "wx",
            "WECHAT_APP_SECRET": "s",
            "WECHAT_TEMPLATES": "enrolled=TPL",
        }
        with celery_worker(queue=queue, smtp_port=free_port(), **env):
            enroll_all(client, site)
            row = Notification.objects.get(channel="wechat")
            assert wait_for(lambda: Notification.objects.get(pk=row.pk).status == "sent")
    sends = [r for r in provider.requests if r["path"].endswith("/send")]
    assert len(sends) == 1 and sends[0]["body"]["touser"] == "oOPENID"


def test_the_file_backend_writes_each_message_once_through_the_worker(
    client, site, queue, tmp_path
):
    applied_child(site)
    folder = tmp_path / "messages"
    env = {"PARENT_SMS_BACKEND": "file", "PARENT_MESSAGES_DIR": str(folder)}
    with celery_worker(queue=queue, smtp_port=free_port(), **env):
        enroll_all(client, site)
        row = Notification.objects.get(channel="sms")
        sent = wait_for(lambda: Notification.objects.get(pk=row.pk).status == "sent")
        row.refresh_from_db()
        assert sent, (row.status, row.last_error, row.attempts)
    (written,) = folder.iterdir()
    assert "小雨" in written.read_text(encoding="utf-8")

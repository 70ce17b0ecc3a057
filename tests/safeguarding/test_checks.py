"""Issue 27, part 1: no one works with children before their checks."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance, StaffShift
from notifications.models import Notification
from notifications.reminders import safeguarding_reminders
from safeguarding.models import ConductSignature, RecordCheck, TrainingRecord
from spaces.models import ConductPolicy, TeacherAssignment

from ..builders import TeacherBuilder, clear, enroll

HTMX = {"HTTP_HX_REQUEST": "true"}


def today():
    return timezone.localdate()


@pytest.fixture
def policy(db):
    return ConductPolicy.objects.create(
        version=1, text_zh="一、孩子的安全永远第一。", text_en="1. Children's safety first.",
        published_at=timezone.now() - datetime.timedelta(days=1),
    )  # fmt: skip


def without(teacher, what: str, policy):
    """`teacher` cleared of everything but `what`."""
    clear(teacher)
    if what == "signature":
        ConductSignature.objects.filter(teacher=teacher).delete()
    elif what == "training":
        TrainingRecord.objects.filter(teacher=teacher).delete()
    elif what == "record check":
        RecordCheck.objects.filter(teacher=teacher).delete()
    elif what == "expired record check":
        RecordCheck.objects.filter(teacher=teacher).update(checked_on=datetime.date(2023, 1, 1))
    elif what == "not cleared":
        RecordCheck.objects.filter(teacher=teacher).update(result="not_cleared")
    return teacher


MISSING = ["signature", "training", "record check", "expired record check", "not cleared"]


@pytest.mark.parametrize("what", MISSING)
def test_a_teacher_missing_a_check_is_refused_a_group(client_of, site, policy, what):
    newcomer = without(TeacherBuilder(factory=site.factory, cleared=False), what, policy)
    url = reverse("spaces:season-roster", args=[site.season.pk])
    data = {"teacher": newcomer.pk, "group": site.group.pk, "weekdays": ["1", "2"]}
    response = client_of(site.coordinator).post(url, data)
    assert "缺少" in response.content.decode()
    assert not TeacherAssignment.objects.filter(teacher=newcomer).exists()


@pytest.mark.parametrize("what", MISSING)
def test_a_teacher_missing_a_check_cannot_go_on_duty(client_of, site, policy, what):
    ConductSignature.objects.get_or_create(
        teacher=site.teacher, policy=policy, defaults={"typed_name": "x", "language": "zh-hans"}
    )
    without(site.teacher, what, policy)
    url = reverse("attendance:roll-call-duty", args=[site.group.pk, today()])
    response = client_of(site.teacher_user).post(url, follow=True)
    assert "还不能上岗" in response.content.decode()
    assert not StaffShift.objects.filter(teacher=site.teacher).exists()


@pytest.mark.parametrize("what", MISSING)
def test_a_teacher_missing_a_check_cannot_take_the_roll_call(client_of, site, policy, what):
    child = enroll(site.group)
    without(site.teacher, what, policy)
    client = client_of(site.teacher_user)
    page = client.get(reverse("attendance:roll-call", args=[site.group.pk, today()]))
    assert "还不能点名" in page.content.decode()
    url = reverse("attendance:roll-call-mark", args=[site.group.pk, today(), child.pk])
    client.post(url, {"status": "present"}, **HTMX)
    assert not Attendance.objects.filter(enrollment=child).exists()


def test_a_cleared_teacher_takes_the_roll_call_and_goes_on_duty(client_of, site, policy):
    child = enroll(site.group)
    ConductSignature.objects.create(teacher=site.teacher, policy=policy, typed_name="x")
    client = client_of(site.teacher_user)
    url = reverse("attendance:roll-call-mark", args=[site.group.pk, today(), child.pk])
    client.post(url, {"status": "present"}, **HTMX)
    assert Attendance.objects.filter(enrollment=child, status="present").exists()
    client.post(reverse("attendance:roll-call-duty", args=[site.group.pk, today()]))
    assert StaffShift.objects.filter(teacher=site.teacher, check_out_at=None).exists()


def test_a_new_version_of_the_code_asks_again(client_of, site, policy):
    client = client_of(site.teacher_user)
    response = client.post(
        reverse("safeguarding:conduct"), {"typed_name": site.teacher.name}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302
    signature = ConductSignature.objects.get(teacher=site.teacher, policy=policy)
    assert (signature.typed_name, signature.ip_address) == (site.teacher.name, "10.1.2.3")
    newer = ConductPolicy.objects.create(
        version=2, text_zh="二、新版。", published_at=timezone.now()
    )
    page = client.get(reverse("safeguarding:teacher-checks", args=[site.teacher.pk]))
    assert "由老师本人签署的行为守则" in page.content.decode()
    assert "二、新版。" in client.get(reverse("safeguarding:conduct")).content.decode()
    client.post(reverse("safeguarding:conduct"), {"typed_name": site.teacher.name})
    assert ConductSignature.objects.filter(teacher=site.teacher, policy=newer).exists()


def test_signing_needs_the_teachers_own_name(client_of, site, policy):
    response = client_of(site.teacher_user).post(
        reverse("safeguarding:conduct"), {"typed_name": "别人"}
    )
    assert response.status_code == 200 and site.teacher.name in response.content.decode()
    assert not ConductSignature.objects.exists()


def test_the_coordinator_records_a_check_and_sees_the_compliance_table(client_of, site, other_site):
    newcomer = TeacherBuilder(factory=site.factory, name="新来的赵老师", cleared=False)
    client = client_of(site.coordinator)
    table = client.get(reverse("safeguarding:compliance")).content.decode()
    assert "新来的赵老师" in table and "警方无犯罪记录查询" in table
    assert other_site.teacher.name not in table
    url = reverse("safeguarding:teacher-checks", args=[newcomer.pk])
    data = {"which": "check", "check-checked_on": "2026-06-01", "check-result": "clear",
            "check-checked_by": "长安派出所", "check-reference": "GA-2026-1"}  # fmt: skip
    client.post(url, data)
    check = RecordCheck.objects.get(teacher=newcomer)
    assert (check.reference, check.expires_on) == ("GA-2026-1", datetime.date(2029, 6, 1))


def test_another_factorys_teacher_checks_answer_404(client_of, site, other_site):
    url = reverse("safeguarding:teacher-checks", args=[other_site.teacher.pk])
    assert client_of(site.coordinator).get(url).status_code == 404
    assert client_of(site.teacher_user).post(url, {"which": "training"}).status_code == 404


def test_a_teacher_cannot_record_their_own_checks(client_of, site):
    url = reverse("safeguarding:teacher-checks", args=[site.teacher.pk])
    client = client_of(site.teacher_user)
    assert client.get(url).status_code == 200
    data = {"which": "training", "training-course": "自学", "training-completed_on": "2026-06-01",
            "training-trainer": "我"}  # fmt: skip
    assert client.post(url, data).status_code == 404
    assert not TrainingRecord.objects.filter(course="自学").exists()


def test_an_expiring_record_check_reminds_once(site, mailoutbox):
    site.coordinator.email = "coord@example.com"
    site.coordinator.save()
    now = timezone.now()
    RecordCheck.objects.filter(teacher=site.teacher).update(
        checked_on=today().replace(year=today().year - 3) + datetime.timedelta(days=20)
    )
    safeguarding_reminders(now=now)
    safeguarding_reminders(now=now + datetime.timedelta(days=1))
    sent = Notification.objects.filter(kind="record_check_expiring")
    assert sorted(n.recipient_id for n in sent) == sorted(
        [site.coordinator.pk, site.teacher_user.pk]
    )
    assert site.teacher.name in sent.first().subject


def test_a_check_far_from_expiry_does_not_remind(site):
    safeguarding_reminders(now=timezone.now())
    assert not Notification.objects.filter(kind="record_check_expiring").exists()


def test_going_off_duty_is_never_refused(client_of, site, policy):
    StaffShift.objects.create(
        teacher=site.teacher, group=site.group, date=today(), check_in_at=timezone.now()
    )
    url = reverse("attendance:roll-call-duty", args=[site.group.pk, today()])
    client_of(site.teacher_user).post(url)  # no signature of the policy: not cleared
    assert StaffShift.objects.get(teacher=site.teacher).check_out_at is not None


@pytest.mark.django_db
def test_the_demo_teachers_are_cleared_and_one_per_factory_is_reminded(settings):
    from spaces import vetting
    from spaces.models import Teacher

    from ..factories.test_seed_demo import seed

    settings.DEBUG = True  # seed_demo refuses production
    seed()
    # Next summer's newcomer is meant to be not ready; everyone working now is cleared.
    teachers = list(Teacher.objects.filter(assignments__season__status="running").distinct())
    missing = {t.name: vetting.missing(t.pk, today()) for t in teachers}
    assert teachers and not {k: v for k, v in missing.items() if v}
    safeguarding_reminders(now=timezone.now())
    reminded = RecordCheck.objects.filter(reminded_at__isnull=False)
    assert reminded.count() == Teacher.objects.values("factory").distinct().count()


def test_the_compliance_table_reads_the_same_queries_for_1_or_20_teachers(
    client_of, site, policy, django_assert_max_num_queries
):
    client = client_of(site.coordinator)
    url = reverse("safeguarding:compliance")
    client.get(url)  # the session's first visit writes its start time
    # session, user, the nav's memberships, the coordinator's factories (exists),
    # the teachers with their checks annotated
    with django_assert_max_num_queries(6):
        client.get(url)
    for _ in range(20):
        TeacherBuilder(factory=site.factory)
    with django_assert_max_num_queries(6):
        # The 20 newcomers signed the code; the site's teacher predates it.
        assert client.get(url).content.decode().count("✓") == 20

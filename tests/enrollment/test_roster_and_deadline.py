"""The public form and the roster (issue 13, item 9), deadlines that hold (item 10),
and the enroll message naming the group (item 12)."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment, Guardianship
from factories.models import Worker

from ..builders import WorkerBuilder
from .test_apply import url, valid


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


@pytest.fixture
def roster(site):
    """The factory's roster: one worker HR registered."""
    return WorkerBuilder(
        factory=site.factory, employee_number="A100", name="王秀英", phone="13812345678"
    )


def review(client, season):
    return client.get(reverse("enrollment:applications", args=[season.pk])).content.decode()


def enroll(client, season, enrollment):
    data = {"action": "enroll", "selected": [enrollment.pk], "apply": "1"}
    return client.post(
        reverse("enrollment:applications", args=[season.pk]), data, follow=True
    ).content.decode()


def test_an_application_matching_the_roster_passes(client, client_of, site, roster):
    client.post(url(site.season), valid(site.season, employee_number="a100", worker_name="王秀英"))
    enrollment = Enrollment.objects.get()
    assert enrollment.roster_check == ""
    assert "不在花名册上" not in review(client_of(site.hr), site.season)


def test_an_unknown_number_is_marked_with_the_rosters_namesake(client, client_of, site, roster):
    client.post(url(site.season), valid(site.season, employee_number="A1O0", worker_name="王秀英"))
    enrollment = Enrollment.objects.get()
    assert enrollment.roster_check == "unknown_number"
    html = review(client_of(site.hr), site.season)
    assert "不在花名册上" in html
    assert "花名册上的 王秀英 工号为 A100" in html


def test_a_name_that_differs_is_marked_and_the_roster_is_untouched(client, client_of, site, roster):
    data = valid(site.season, employee_number="A100", worker_name="张三", phone="13900009999")
    response = client.post(url(site.season), data, follow=True)
    # The applicant learns nothing about the worker behind the number.
    assert "王秀英" not in response.content.decode()
    assert "13812345678" not in response.content.decode()
    enrollment = Enrollment.objects.get()
    assert (enrollment.roster_check, enrollment.applicant_name) == ("name_differs", "张三")
    roster.refresh_from_db()
    assert (roster.name, roster.phone) == ("王秀英", "13812345678")
    assert "张三 填写的工号是 A100；花名册上的姓名是 王秀英" in review(
        client_of(site.hr), site.season
    )


def test_a_flagged_child_cannot_be_enrolled_until_hr_confirms(client, client_of, site, roster):
    client.post(url(site.season), valid(site.season, employee_number="B200", worker_name="李四"))
    enrollment = Enrollment.objects.get()
    hr = client_of(site.hr)
    assert "不在花名册上" in enroll(hr, site.season, enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status == "applied"

    check = reverse("enrollment:roster-check", args=[site.season.pk, enrollment.pk])
    assert "李四" in hr.get(check).content.decode()
    hr.post(check, {"decision": "confirm"})
    enrollment.refresh_from_db()
    assert enrollment.roster_check == ""
    assert Worker.objects.get(employee_number="B200").on_roster
    assert "已录取" in enroll(hr, site.season, enrollment)


def test_hr_corrects_the_worker_and_the_child_moves_to_them(client, client_of, site, roster):
    client.post(url(site.season), valid(site.season, employee_number="A1O0", worker_name="王秀英"))
    enrollment = Enrollment.objects.get()
    check = reverse("enrollment:roster-check", args=[site.season.pk, enrollment.pk])
    hr = client_of(site.hr)
    refused = hr.post(check, {"decision": "correct", "employee_number": "ZZZ"})
    assert "花名册上没有这个工号的员工" in refused.content.decode()
    hr.post(check, {"decision": "correct", "employee_number": "a100"})
    enrollment.refresh_from_db()
    assert enrollment.roster_check == "" and enrollment.applicant_worker == roster
    assert list(
        Guardianship.objects.filter(child=enrollment.child).values_list("worker", flat=True)
    ) == [roster.pk]


def test_another_factorys_worker_cannot_be_picked_by_correcting(
    client, client_of, site, other_site, roster
):
    WorkerBuilder(factory=other_site.factory, employee_number="C300")
    client.post(url(site.season), valid(site.season, employee_number="B200", worker_name="李四"))
    enrollment = Enrollment.objects.get()
    check = reverse("enrollment:roster-check", args=[site.season.pk, enrollment.pk])
    client_of(site.hr).post(check, {"decision": "correct", "employee_number": "C300"})
    enrollment.refresh_from_db()
    assert enrollment.roster_check == "unknown_number"


def test_the_roster_check_page_is_scoped(client, client_of, site, other_site, roster):
    client.post(url(site.season), valid(site.season, employee_number="B200", worker_name="李四"))
    enrollment = Enrollment.objects.get()
    check = reverse("enrollment:roster-check", args=[site.season.pk, enrollment.pk])
    for user in (other_site.hr, site.teacher_user, site.manager):
        assert client_of(user).get(check).status_code == 404
        assert client_of(user).post(check, {"decision": "confirm"}).status_code == 404
    foreign = reverse("enrollment:roster-check", args=[other_site.season.pk, enrollment.pk])
    assert client_of(other_site.hr).get(foreign).status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.roster_check == "unknown_number"


def test_a_factory_without_a_roster_checks_nothing(client, site):
    client.post(url(site.season), valid(site.season))
    assert Enrollment.objects.get().roster_check == ""


def test_a_roster_import_confirms_a_worker_the_public_form_registered(client, site, roster):
    client.post(url(site.season), valid(site.season, employee_number="B200", worker_name="李四"))
    assert not Worker.objects.get(employee_number="B200").on_roster
    from enrollment import imports

    rows = [["工号", "姓名"], ["B200", "李四"]]
    preview = imports.validate(rows, factory=site.factory)
    imports.save(preview, factory=site.factory, season=None, user=site.hr)
    assert Worker.objects.get(employee_number="B200").on_roster


# --- deadlines ---


def past_deadline(season):
    season.enrollment_deadline = timezone.localdate() - datetime.timedelta(days=1)
    season.save()
    return season


def test_after_the_deadline_the_form_is_closed_and_says_why(client, site):
    past_deadline(site.season)  # a running season: the deadline holds all the same
    response = client.get(url(site.season))
    assert response.status_code == 410
    day = site.season.enrollment_deadline.isoformat()
    assert f"报名截止日期是 {day}" in response.content.decode()
    assert client.post(url(site.season), valid(site.season)).status_code == 410
    assert not Enrollment.objects.exists()


def test_on_the_deadline_day_the_form_is_open(client, site):
    site.season.enrollment_deadline = timezone.localdate()
    site.season.save()
    assert client.get(url(site.season)).status_code == 200


def test_hr_can_still_enter_a_late_application(client_of, site):
    past_deadline(site.season)
    hr = client_of(site.hr)
    new = reverse("enrollment:application-new", args=[site.season.pk])
    assert "逾期" in hr.get(new).content.decode()
    hr.post(new, valid(site.season))
    assert Enrollment.objects.count() == 1


def test_the_poster_shows_the_real_state(client_of, site):
    poster = reverse("enrollment:poster", args=[site.season.pk])
    hr = client_of(site.hr)
    site.season.enrollment_deadline = timezone.localdate() + datetime.timedelta(days=3)
    site.season.save()
    assert "请在" in hr.get(poster).content.decode()
    past_deadline(site.season)
    html = hr.get(poster).content.decode()
    assert "已经截止" in html and "请在" not in html
    site.season.status = "planning"
    site.season.save()
    assert "报名还没有开始" in hr.get(poster).content.decode()


# --- the enroll message ---


def test_the_enroll_message_names_the_group(client_of, site, roster):
    client = client_of(site.hr)
    new = reverse("enrollment:application-new", args=[site.season.pk])
    client.post(new, valid(site.season, employee_number="A100", worker_name="王秀英"))
    enrollment = Enrollment.objects.get()
    assert f"王小明 已录取。分组：{site.group.name}。" in enroll(client, site.season, enrollment)

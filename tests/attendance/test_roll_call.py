"""The daily roll call: taps, absences, check-out, corrections, ratio, refusals."""

import datetime
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance, StaffShift
from enrollment.models import AuthorisedPickup
from factories.models import AuditEntry
from spaces.models import ClosedDay

from ..builders import GroupBuilder, TeacherBuilder, assign, enroll, mark

HTMX = {"HTTP_HX_REQUEST": "true"}


def today():
    return timezone.localdate()


def page_url(group, day=None):
    return reverse("attendance:roll-call", args=[group.pk, day or today()])


def mark_url(enrollment, day=None):
    return reverse(
        "attendance:roll-call-mark", args=[enrollment.group_id, day or today(), enrollment.pk]
    )


def out_url(enrollment, day=None):
    return reverse(
        "attendance:roll-call-check-out", args=[enrollment.group_id, day or today(), enrollment.pk]
    )


@pytest.fixture
def teacher(client_of, site):
    return client_of(site.teacher_user)


# --- the page ---


def test_the_page_lists_children_in_the_programme_today(teacher, site):
    here = enroll(site.group)
    here.child.allergies = "花生"
    here.child.save()
    gone = enroll(site.group, departure_date=today() - datetime.timedelta(days=1))
    waiting = enroll(site.group, status="waitlisted")
    html = teacher.get(page_url(site.group)).content.decode()
    assert here.child.name in html and "花生" in html
    assert gone.child.name not in html
    assert waiting.child.name not in html


def test_today_link_lands_on_todays_roll_call(teacher, site):
    enrollment = enroll(site.group)
    response = teacher.get(reverse("attendance:roll-call-today", args=[site.group.pk]))
    assert enrollment.child.name in response.content.decode()


def test_the_page_tells_the_phone_which_statuses_count_as_attended(teacher, site):
    """The offline script counts "here" and "present" as the server does: from
    the page, not from a list of its own."""
    enroll(site.group)
    html = teacher.get(page_url(site.group)).content.decode()
    assert 'data-attended="[&quot;present&quot;, &quot;late&quot;]"' in html


def test_the_page_for_80_children_stays_light(teacher, site):
    for _ in range(80):
        enroll(site.group)
    response = teacher.get(page_url(site.group))
    # Static assets are cached after the first visit; the HTML is what travels.
    # (Each row now also carries its "report a concern" link and a parent's notes.)
    assert len(response.content) < 160_000, len(response.content)


# --- taps ---


def test_one_tap_marks_present_with_the_check_in_time(teacher, site):
    enrollment = enroll(site.group)
    response = teacher.post(mark_url(enrollment), {"status": "present"}, **HTMX)
    assert response.status_code == 200
    record = Attendance.objects.get(enrollment=enrollment)
    assert record.status == "present" and record.check_in_at is not None
    assert record.recorded_by == site.teacher_user
    html = response.content.decode()
    assert "已保存" in html and 'id="roll-call-header" class="card mb-3" hx-swap-oob="true"' in html


def test_tapping_twice_keeps_one_record_and_the_first_check_in(teacher, site):
    enrollment = enroll(site.group)
    teacher.post(mark_url(enrollment), {"status": "present"}, **HTMX)
    first = Attendance.objects.get(enrollment=enrollment).check_in_at
    teacher.post(mark_url(enrollment), {"status": "late"}, **HTMX)
    record = Attendance.objects.get(enrollment=enrollment)
    assert record.status == "late" and record.check_in_at == first


def test_absent_asks_for_a_reason_and_saves_nothing_until_given(teacher, site):
    enrollment = enroll(site.group)
    response = teacher.post(mark_url(enrollment), {"status": "absent"}, **HTMX)
    assert "为什么缺勤" in response.content.decode()
    assert not Attendance.objects.exists()
    teacher.post(mark_url(enrollment), {"status": "absent", "absence_reason": "sick"}, **HTMX)
    record = Attendance.objects.get()
    assert (record.status, record.absence_reason, record.check_in_at) == ("absent", "sick", None)


def test_every_change_is_in_the_audit_trail(teacher, site):
    enrollment = enroll(site.group)
    teacher.post(mark_url(enrollment), {"status": "present"}, **HTMX)
    teacher.post(mark_url(enrollment), {"status": "absent", "absence_reason": "sick"}, **HTMX)
    entries = AuditEntry.objects.filter(model="attendance.attendance").order_by("at")
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes["status"] == ["present", "absent"]
    assert entries[1].user == site.teacher_user


def test_mark_all_remaining_present_leaves_marked_children_alone(teacher, site):
    absent = enroll(site.group)
    others = [enroll(site.group) for _ in range(3)]
    teacher.post(mark_url(absent), {"status": "absent", "absence_reason": "family_trip"})
    response = teacher.post(
        reverse("attendance:roll-call-mark-all", args=[site.group.pk, today()]), follow=True
    )
    assert "3" in response.content.decode()
    statuses = dict(Attendance.objects.values_list("enrollment_id", "status"))
    assert statuses == {absent.pk: "absent", **{e.pk: "present" for e in others}}
    assert AuditEntry.objects.filter(model="attendance.attendance").count() == 4


def test_a_tap_uses_a_fixed_number_of_queries(teacher, site, django_assert_max_num_queries):
    for _ in range(80):
        enroll(site.group)
    enrollment = enroll(site.group)
    # + 3: the daily counts are refreshed in the same transaction
    with django_assert_max_num_queries(33):
        teacher.post(mark_url(enrollment), {"status": "present"}, **HTMX)
    small = GroupBuilder(season=site.season, lead_teacher=site.teacher)
    assign(site.teacher, small)
    lone = enroll(small)
    # + 3: the daily counts are refreshed in the same transaction
    with django_assert_max_num_queries(33):
        teacher.post(mark_url(lone), {"status": "present"}, **HTMX)


# --- check-out ---


def test_check_out_by_a_guardian_or_authorised_pickup(teacher, site):
    enrollment = enroll(site.group)
    AuthorisedPickup.objects.create(
        child=enrollment.child, name="王奶奶", relationship="grandparent"
    )
    teacher.post(mark_url(enrollment), {"status": "present"}, **HTMX)
    form = teacher.get(out_url(enrollment), **HTMX).content.decode()
    guardian = enrollment.child.guardians.get().name
    assert guardian in form and "王奶奶" in form
    response = teacher.post(out_url(enrollment), {"picked_up_by": "王奶奶"}, **HTMX)
    assert response.status_code == 200
    record = Attendance.objects.get()
    assert record.picked_up_by == "王奶奶" and record.check_out_at >= record.check_in_at


@pytest.mark.parametrize("who", ["other", "张三", ""])
def test_an_unauthorised_pickup_is_refused_and_nothing_changes(teacher, site, who):
    enrollment = enroll(site.group)
    teacher.post(mark_url(enrollment), {"status": "present"}, **HTMX)
    response = teacher.post(out_url(enrollment), {"picked_up_by": who}, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "只有" in html or "不在" in html or "必填" in html
    assert Attendance.objects.get().check_out_at is None


def test_check_out_before_check_in_is_refused(teacher, site):
    enrollment = enroll(site.group)
    guardian = enrollment.child.guardians.get().name
    response = teacher.post(out_url(enrollment), {"picked_up_by": guardian}, **HTMX)
    assert response.status_code == 422
    assert "尚未签到" in response.content.decode()
    assert not Attendance.objects.exists()


def test_children_still_here_at_closing_are_highlighted(teacher, site):
    site.season.closes_at = datetime.time(0, 0)
    site.season.save()
    enrollment = enroll(site.group)
    teacher.post(mark_url(enrollment), {"status": "present"})
    html = teacher.get(page_url(site.group)).content.decode()
    assert "still-here" in html


# --- refusals ---


def test_a_closed_day_has_no_roll_call(teacher, site):
    ClosedDay.objects.create(season=site.season, date=today(), reason="高温停工")
    enrollment = enroll(site.group)
    response = teacher.post(mark_url(enrollment), {"status": "present"}, **HTMX)
    assert response.status_code == 422
    assert "休息" in response.content.decode() or "闭" in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_future_day_is_refused(teacher, site):
    enrollment = enroll(site.group)
    tomorrow = today() + datetime.timedelta(days=1)
    response = teacher.post(mark_url(enrollment, tomorrow), {"status": "present"}, **HTMX)
    assert response.status_code == 422
    assert not Attendance.objects.exists()


def test_a_child_of_another_group_answers_404(teacher, site):
    elsewhere = enroll(GroupBuilder(season=site.season))
    url = reverse("attendance:roll-call-mark", args=[site.group.pk, today(), elsewhere.pk])
    assert teacher.post(url, {"status": "present"}).status_code == 404
    assert not Attendance.objects.exists()


def test_another_factorys_group_and_child_answer_404(client_of, site, other_site):
    far = enroll(other_site.group)
    client = client_of(site.teacher_user)
    assert client.get(page_url(other_site.group)).status_code == 404
    assert client.post(mark_url(far), {"status": "present"}).status_code == 404
    stranger = client_of(other_site.hr)
    assert stranger.get(page_url(site.group)).status_code == 404
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{"status": "sleeping"}, {"status": "absent", "absence_reason": "<script>"}, {}],
)
def test_a_tampered_field_is_refused_with_a_message(teacher, site, data):
    enrollment = enroll(site.group)
    response = teacher.post(mark_url(enrollment), data, **HTMX)
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_bad_date_in_the_url_answers_404(teacher, site):
    assert teacher.get(f"/groups/{site.group.pk}/roll-call/2026-02-30/").status_code == 404


def test_the_first_day_of_the_calendar_in_the_url_is_a_page_without_a_day_before(teacher, site):
    response = teacher.get(f"/groups/{site.group.pk}/roll-call/0001-01-01/")
    assert response.status_code == 200
    assert 'rel="prev"' not in response.content.decode()


@pytest.mark.parametrize("action", ["roll-call-mark-all", "roll-call-duty", "roll-call-mark"])
def test_an_action_opened_after_logging_in_again_goes_back_to_the_roll_call(client, site, action):
    enrollment = enroll(site.group)
    args = [site.group.pk, today()] + ([enrollment.pk] if action == "roll-call-mark" else [])
    url = reverse(f"attendance:{action}", args=args)
    # The session has ended: the button's post is sent to the login page...
    login = client.post(url)
    assert login.status_code == 302 and login["Location"].startswith("/login/")
    # ...which sends the teacher back to the action's URL once logged in again.
    client.force_login(site.teacher_user)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == page_url(site.group)
    assert not Attendance.objects.exists() and not StaffShift.objects.exists()


def test_teachers_correct_recent_days_and_coordinators_any_day(client_of, site):
    enrollment = enroll(site.group)
    recent, old = today() - datetime.timedelta(days=3), today() - datetime.timedelta(days=5)
    teacher = client_of(site.teacher_user)
    assert teacher.post(mark_url(enrollment, recent), {"status": "excused"}).status_code == 302
    refused = teacher.post(mark_url(enrollment, old), {"status": "excused"}, **HTMX)
    assert refused.status_code == 422 and "协调员" in refused.content.decode()
    coordinator = client_of(site.coordinator)
    assert coordinator.post(mark_url(enrollment, old), {"status": "excused"}).status_code == 302
    assert set(Attendance.objects.values_list("date", flat=True)) == {recent, old}


def test_hr_reads_the_roll_call_but_cannot_take_it(client_of, site):
    enrollment = enroll(site.group)
    hr = client_of(site.hr)
    html = hr.get(page_url(site.group)).content.decode()
    assert enrollment.child.name in html and "roll-actions" not in html
    assert hr.post(mark_url(enrollment), {"status": "present"}, **HTMX).status_code == 422
    assert not Attendance.objects.exists()


def test_a_manager_sees_the_figures_but_not_the_children(client_of, site):
    enrollment = enroll(site.group)
    mark(enrollment, today())
    html = client_of(site.manager).get(page_url(site.group)).content.decode()
    assert enrollment.child.name not in html
    assert "1/1" in html


def test_a_manager_is_not_offered_the_incident_form_they_may_not_use(client_of, site):
    incident = reverse("attendance:incident-new", args=[site.group.pk])
    manager = client_of(site.manager)
    assert incident not in manager.get(page_url(site.group)).content.decode()
    assert manager.get(incident).status_code == 422  # the form refuses them
    assert incident in client_of(site.teacher_user).get(page_url(site.group)).content.decode()


def test_children_here_now_is_todays_figure_only(teacher, site):
    enrollment = enroll(site.group)
    yesterday = today() - datetime.timedelta(days=1)
    mark(enrollment, yesterday)
    assert "现在在园儿童" in teacher.get(page_url(site.group)).content.decode()
    past = teacher.get(page_url(site.group, yesterday)).content.decode()
    assert "现在在园儿童" not in past  # a past day has nobody here now: its "出勤" is shown
    assert "出勤 <strong>1</strong>" in past


def test_a_teacher_of_another_group_cannot_see_this_one(client_of, site, other_group_teacher):
    assert client_of(other_group_teacher).get(page_url(site.group)).status_code == 404


# --- teachers on duty and the ratio ---


def test_the_ratio_warning_follows_teachers_on_duty(teacher, site):
    site.season.children_per_teacher = 2
    site.season.save()
    for _ in range(3):
        teacher.post(mark_url(enroll(site.group)), {"status": "present"})
    assert "老师不足" in teacher.get(page_url(site.group)).content.decode()
    duty = reverse("attendance:roll-call-duty", args=[site.group.pk, today()])
    teacher.post(duty)
    assert StaffShift.objects.get().check_out_at is None
    html = teacher.get(page_url(site.group)).content.decode()
    assert "老师不足" in html  # 3 children, 1 teacher, at most 2 each
    helper = TeacherBuilder(factory=site.factory)
    StaffShift.objects.create(
        group=site.group, teacher=helper, date=today(), check_in_at=timezone.now()
    )
    assert "老师不足" not in teacher.get(page_url(site.group)).content.decode()
    teacher.post(duty)  # off duty again
    assert StaffShift.objects.get(teacher=site.teacher).check_out_at is not None


def test_a_past_day_counts_the_teachers_who_were_on_duty_that_day(teacher, site):
    site.season.children_per_teacher = 2
    site.season.save()
    yesterday = today() - datetime.timedelta(days=1)
    for _ in range(2):
        mark(enroll(site.group), yesterday)
    # The teacher went off duty at the end of the day, as they should.
    start = timezone.now() - datetime.timedelta(days=1, hours=8)
    StaffShift.objects.create(
        group=site.group,
        teacher=site.teacher,
        date=yesterday,
        check_in_at=start,
        check_out_at=start + datetime.timedelta(hours=7),
    )
    html = teacher.get(page_url(site.group, yesterday)).content.decode()
    assert site.teacher.name in html
    assert "老师不足" not in html  # 2 children, 1 teacher, at most 2 each


def test_a_teacher_of_two_groups_goes_on_duty_with_the_second_one(teacher, site):
    second = GroupBuilder(season=site.season, min_age=3, max_age=5)
    assign(site.teacher, second)
    teacher.post(reverse("attendance:roll-call-duty", args=[site.group.pk, today()]))
    # After lunch the teacher moves to the little ones' group.
    teacher.post(reverse("attendance:roll-call-duty", args=[second.pk, today()]))
    shift = StaffShift.objects.get(teacher=site.teacher)
    assert shift.group == second and shift.check_out_at is None
    assert "我要下班了" in teacher.get(page_url(second)).content.decode()
    assert site.teacher.name not in teacher.get(page_url(site.group)).content.decode()


# --- printable sheet ---


def test_the_printable_sheet_is_in_chinese_whatever_the_users_language(client_of, site):
    site.hr.language = "en"
    site.hr.save()
    enrollment = enroll(site.group)
    url = reverse("attendance:sign-in-sheet", args=[site.group.pk, today()])
    html = client_of(site.hr).get(url).content.decode()
    assert "签到" in html and enrollment.child.name in html
    assert client_of(site.manager).get(url).status_code == 200


def test_the_printable_sheet_of_another_factory_answers_404(client_of, site, stranger):
    url = reverse("attendance:sign-in-sheet", args=[site.group.pk, today()])
    assert client_of(stranger).get(url).status_code == 404


# --- concurrency (PostgreSQL) ---


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_mark_all_racing_single_taps_leaves_one_record_per_child(site):
    from attendance import services

    children = [enroll(site.group) for _ in range(20)]
    barrier = threading.Barrier(6)
    errors = []

    def run(action):
        try:
            barrier.wait()
            action()
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    def tap(enrollment):
        return lambda: services.roll_call_mark(
            enrollment=enrollment,
            group=site.group,
            day=today(),
            status="late",
            user=site.teacher_user,
        )

    def all_present():
        services.roll_call_mark_all_present(group=site.group, day=today(), user=site.coordinator)

    actions = [all_present, all_present, *(tap(e) for e in children[:4])]
    threads = [threading.Thread(target=run, args=[a]) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Attendance.objects.count() == 20
    # A tap always wins: before "mark all" it is kept, after it it overwrites.
    assert set(
        Attendance.objects.filter(status="late").values_list("enrollment_id", flat=True)
    ) == {e.pk for e in children[:4]}
    assert AuditEntry.objects.filter(action="create").count() == 20


def test_the_pages_breadcrumb_is_named_in_chinese(teacher, site):
    html = teacher.get(page_url(site.group)).content.decode()
    assert 'aria-label="导航路径"' in html and 'aria-label="breadcrumb"' not in html

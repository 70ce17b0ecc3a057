"""HR's review: filters, decisions, eligibility, capacity, the waitlist."""

import datetime
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from enrollment import services
from enrollment.models import Consent, Enrollment
from factories.models import AuditEntry

from ..builders import (
    ChildBuilder,
    EnrollmentBuilder,
    GroupBuilder,
    WorkerBuilder,
    child_edit_data,
    consent_all,
)


def url(season):
    return reverse("enrollment:applications", args=[season.pk])


def application(season, **fields):
    enrollment = EnrollmentBuilder(season=season, status="applied", **fields)
    consent_all(enrollment)
    return enrollment


def act(client, season, enrollments, action, **extra):
    data = {"action": action, "selected": [e.pk for e in enrollments], **extra}
    return client.post(url(season), data, follow=True)


def test_hr_enrolls_an_applicant_into_the_group_for_their_age(client_of, site):
    applicant = application(site.season)
    response = act(client_of(site.hr), site.season, [applicant], "enroll")
    applicant.refresh_from_db()
    assert (applicant.status, applicant.group) == ("enrolled", site.group)
    assert "已录取" in response.content.decode()
    assert AuditEntry.objects.filter(model="enrollment.enrollment", user=site.hr).exists()


def test_the_child_appears_in_the_groups_roll_call(client_of, site):
    applicant = application(site.season)
    act(client_of(site.hr), site.season, [applicant], "enroll")
    roll_call = reverse("attendance:roll-call-today", args=[site.group.pk])
    assert applicant.child.name in client_of(site.teacher_user).get(roll_call).content.decode()


def test_ineligible_children_get_a_clear_reason(client_of, site):
    start = site.season.start_date
    too_young = application(
        site.season, child=ChildBuilder(factory=site.factory, date_of_birth=start)
    )
    no_consent = EnrollmentBuilder(season=site.season, status="applied")
    response = act(client_of(site.hr), site.season, [too_young, no_consent], "enroll")
    html = response.content.decode()
    assert "本期接收" in html and "未同意" in html
    assert Enrollment.objects.filter(status="enrolled").count() == 0


def test_a_child_enrolled_elsewhere_at_the_same_time_is_refused(client_of, site):
    from ..builders import SeasonBuilder

    other = SeasonBuilder(factory=site.factory)
    first = EnrollmentBuilder(season=other, status="enrolled")
    second = application(site.season, child=first.child)
    html = act(client_of(site.hr), site.season, [second], "enroll").content.decode()
    assert "同一时间" in html
    second.refresh_from_db()
    assert second.status == "applied"


def test_the_season_never_overbooks_and_waitlists_in_order(client_of, site):
    site.season.capacity = 2
    site.season.save()
    applicants = [application(site.season) for _ in range(4)]
    act(client_of(site.hr), site.season, applicants, "enroll")
    statuses = [Enrollment.objects.get(pk=a.pk).status for a in applicants]
    assert statuses == ["enrolled", "enrolled", "waitlisted", "waitlisted"]


def test_a_full_group_waitlists_even_when_the_season_has_room(client_of, site):
    site.group.capacity = 1
    site.group.save()
    first, second = application(site.season), application(site.season)
    act(client_of(site.hr), site.season, [first, second], "enroll")
    second.refresh_from_db()
    assert second.status == "waitlisted"


def test_a_withdrawal_promotes_the_first_eligible_waitlisted_child(client_of, site):
    site.season.capacity = 1
    site.season.save()
    enrolled, first_waiting, second_waiting = (application(site.season) for _ in range(3))
    client = client_of(site.hr)
    act(client, site.season, [enrolled, first_waiting, second_waiting], "enroll")
    # The first in line has lost their consent: the next eligible child moves up.
    Consent.objects.filter(enrollment=first_waiting).delete()
    html = act(client, site.season, [enrolled], "withdraw", reason="回老家了").content.decode()
    states = {e.pk: e.status for e in Enrollment.objects.all()}
    assert states == {
        enrolled.pk: "withdrawn",
        first_waiting.pk: "waitlisted",
        second_waiting.pk: "enrolled",
    }
    assert "从候补名单转为录取" in html
    assert Enrollment.objects.get(pk=second_waiting.pk).status_reason


def test_a_bulk_action_decides_on_a_child_promoted_earlier_in_it(client_of, site):
    site.season.capacity = 1
    site.season.save()
    enrolled, first_waiting, second_waiting = (application(site.season) for _ in range(3))
    client = client_of(site.hr)
    act(client, site.season, [enrolled, first_waiting, second_waiting], "enroll")
    # HR withdraws the enrolled child and the first in line together: the first
    # is promoted by the place freed, then withdrawn as enrolled, which frees
    # the place for the second.
    act(client, site.season, [enrolled, first_waiting], "withdraw", reason="回老家了")
    states = {e.pk: e.status for e in Enrollment.objects.all()}
    assert states == {
        enrolled.pk: "withdrawn",
        first_waiting.pk: "withdrawn",
        second_waiting.pk: "enrolled",
    }
    changes = AuditEntry.objects.filter(object_id=str(first_waiting.pk)).latest("pk").changes
    assert changes["status"] == ["enrolled", "withdrawn"]


def test_decline_and_withdraw_need_a_reason(client_of, site):
    applicant = application(site.season)
    html = act(client_of(site.hr), site.season, [applicant], "decline").content.decode()
    assert "请填写原因" in html
    applicant.refresh_from_db()
    assert applicant.status == "applied"


def test_a_reason_too_long_is_told_once_not_as_missing(client_of, site):
    applicant = application(site.season)
    html = act(client_of(site.hr), site.season, [applicant], "decline", reason="远" * 301)
    html = html.content.decode()
    assert "不超过 300" in html and "请填写原因" not in html
    applicant.refresh_from_db()
    assert applicant.status == "applied"


def test_filters_narrow_the_list(client_of, site):
    start = site.season.start_date
    GroupBuilder(season=site.season, min_age=3, max_age=5)
    small = application(
        site.season,
        child=ChildBuilder(factory=site.factory, date_of_birth=start.replace(year=start.year - 4)),
    )
    big = application(site.season)
    Consent.objects.filter(enrollment=big, kind="photos").delete()
    henan = application(
        site.season, child=ChildBuilder(factory=site.factory, home_province="henan")
    )
    client = client_of(site.hr)

    def names(**query):
        html = client.get(url(site.season), query).content.decode()
        return {e.child.name for e in (small, big, henan) if e.child.name in html}

    assert names(band="3-5") == {small.child.name}
    assert names(missing_consent="photos") == {big.child.name}
    assert names(province="henan") == {henan.child.name}
    assert names(status="enrolled") == set()
    assert client.get(url(site.season), {"band": "nonsense"}).status_code == 200


def test_a_withdrawn_consent_counts_as_missing_in_the_filter(client_of, site):
    withdrawn = application(site.season)
    Consent.objects.filter(enrollment=withdrawn, kind="photos").update(withdrawn_at=timezone.now())
    given = application(site.season)
    html = client_of(site.hr).get(url(site.season), {"missing_consent": "photos"}).content.decode()
    assert withdrawn.child.name in html and given.child.name not in html


def test_only_hr_and_coordinators_review(client_of, site, stranger):
    for user in (site.teacher_user, site.manager, stranger):
        assert client_of(user).get(url(site.season)).status_code == 404
    assert client_of(site.coordinator).get(url(site.season)).status_code == 200


def test_another_factorys_application_cannot_be_acted_on(client_of, site, other_site):
    far = application(other_site.season)
    html = act(client_of(site.hr), site.season, [far], "enroll").content.decode()
    assert "选择一个有效的选项" in html
    far.refresh_from_db()
    assert far.status == "applied"


def test_the_list_uses_a_fixed_number_of_queries(client_of, site, django_assert_max_num_queries):
    for _ in range(30):
        application(site.season)
    client = client_of(site.hr)
    # session, user, season, submissions (bursts), groups (filter, action), count,
    # enrollments, consents, guardians, nav + 2: the session is saved (idle timeout)
    with django_assert_max_num_queries(14):
        client.get(url(site.season))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_hr_clicks_at_once_fill_exactly_the_last_places(site):
    site.season.capacity = 5
    site.season.save()
    site.group.capacity = 100
    site.group.save()
    applicants = [application(site.season) for _ in range(30)]
    barrier = threading.Barrier(len(applicants))
    errors = []

    def click(enrollment):
        try:
            barrier.wait()
            services.enrollments_decide(
                season=site.season,
                enrollments=Enrollment.objects.filter(pk=enrollment.pk),
                user=site.hr,
            )
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=[a]) for a in applicants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Enrollment.objects.filter(status="enrolled").count() == 5
    assert Enrollment.objects.filter(status="waitlisted").count() == 25


def test_hr_enters_a_paper_application(client_of, site):
    from .test_apply import valid

    response = client_of(site.hr).post(
        reverse("enrollment:application-new", args=[site.season.pk]),
        valid(site.season),
        follow=True,
    )
    enrollment = Enrollment.objects.get()
    assert enrollment.created_by == site.hr
    assert enrollment.reference in response.content.decode()


def test_a_paper_application_under_another_workers_number_is_refused(client_of, site):
    """HR typing a wrong employee number must not file the child under that worker."""
    from .test_apply import valid

    WorkerBuilder(factory=site.factory, employee_number="DG-2024-0815", name="李建国")
    response = client_of(site.hr).post(
        reverse("enrollment:application-new", args=[site.season.pk]), valid(site.season)
    )
    assert "工号 DG-2024-0815 登记的是李建国" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_the_poster_has_a_qr_code_for_the_public_link(client_of, site, stranger):
    poster = reverse("enrollment:poster", args=[site.season.pk])
    html = client_of(site.hr).get(poster).content.decode()
    assert "<svg" in html and site.season.application_token in html
    png = client_of(site.hr).get(reverse("enrollment:qr-code", args=[site.season.pk, "png"]))
    assert png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    assert client_of(stranger).get(poster).status_code == 404
    assert client_of(site.hr).get(f"/seasons/{site.season.pk}/qr.gif").status_code == 404


def test_arrival_and_departure_dates_are_validated_on_edit(client_of, site):
    enrollment = application(site.season)
    edit = reverse("enrollment:child-edit", args=[enrollment.child.pk, enrollment.pk])
    child = enrollment.child
    data = {
        "child-name": child.name,
        "child-sex": child.sex,
        "child-date_of_birth": child.date_of_birth.isoformat(),
        "child-home_province": child.home_province,
        "child-lives_with": child.lives_with,
        "dates-arrival_date": "2026-08-10",
        "dates-departure_date": "2026-08-01",
    }
    html = client_of(site.hr).post(edit, data).content.decode()
    assert "离开日期不能早于到达日期" in html
    enrollment.refresh_from_db()
    assert enrollment.departure_date != datetime.date(2026, 8, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"dates-arrival_date": "9999-12-31", "dates-departure_date": "9999-12-31"},
            "本期项目时间为",
        ),
        (
            {"dates-arrival_date": "2000-01-01", "dates-departure_date": "2000-01-31"},
            "本期项目时间为",
        ),
        ({"child-date_of_birth": "1018-05-03"}, "早于 18 年前"),  # a typo for 2018
    ],
)
def test_an_edit_cannot_move_the_stay_out_of_the_season_or_the_birth_out_of_childhood(
    client_of, site, changes, message
):
    enrollment = application(site.season)
    child = enrollment.child
    edit = reverse("enrollment:child-edit", args=[child.pk, enrollment.pk])
    response = client_of(site.hr).post(edit, child_edit_data(enrollment, **changes))
    assert response.status_code == 200 and message in response.content.decode()
    saved = Enrollment.objects.select_related("child").get(pk=enrollment.pk)
    assert (saved.arrival_date, saved.departure_date, saved.child.date_of_birth) == (
        enrollment.arrival_date, enrollment.departure_date, child.date_of_birth,
    )  # fmt: skip


def test_an_id_too_big_for_the_database_is_an_error_on_the_form(client_of, site):
    html = act(client_of(site.hr), site.season, [], "enroll", selected=["9" * 25]).content.decode()
    assert "9" * 25 in html and 'role="alert"' in html  # "“999…” 不是有效的值"


def test_hr_can_edit_a_child_with_an_imported_long_name_but_not_save_an_endless_note(
    client_of, site
):
    enrollment = application(site.season)
    child = enrollment.child
    child.name = "阿卜杜热合曼·买买提依明" * 4  # with the next line, 52 characters: as imported
    child.name += "·艾尔肯"
    child.save()
    edit = reverse("enrollment:child-edit", args=[child.pk, enrollment.pk])
    data = child_edit_data(enrollment, **{"child-allergies": "花生"})
    hr = client_of(site.hr)
    assert hr.post(edit, data).status_code == 302
    child.refresh_from_db()
    assert child.allergies == "花生"
    refused = hr.post(edit, {**data, "child-allergies": "花" * 1001})
    assert refused.status_code == 200 and "1000" in refused.content.decode()
    child.refresh_from_db()
    assert child.allergies == "花生"

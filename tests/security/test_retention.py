"""Retention: children's data anonymised a year after their season closes,
erasure on request, and everything held about a child exported."""

import datetime
import io
import json

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance
from enrollment.models import Child, Enrollment
from enrollment.tasks import anonymise_children

from ..builders import AuthorisedPickupBuilder, SeasonBuilder, enroll, mark


def closed_season(site, months_ago):
    end = timezone.localdate() - datetime.timedelta(days=round(months_ago * 30.5))
    return SeasonBuilder(
        factory=site.factory,
        start_date=end - datetime.timedelta(days=40),
        end_date=end,
        status="closed",
    )


def child_in(season, group_site):
    from ..builders import GroupBuilder

    group = GroupBuilder(season=season)
    enrollment = enroll(group)
    record = mark(enrollment, season.start_date)
    record.picked_up_by = "王奶奶"
    record.save()
    AuthorisedPickupBuilder(child=enrollment.child)
    return enrollment


def run(*args) -> str:
    out = io.StringIO()
    call_command("anonymise_children", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_lists_and_changes_nothing(site):
    old = child_in(closed_season(site, 13), site)
    output = run("--dry-run")
    assert f"#{old.child.pk}" in output and "would anonymise 1" in output
    assert Child.objects.get(pk=old.child.pk).name == old.child.name


def test_children_of_a_season_closed_over_a_year_ago_are_anonymised(site):
    old = child_in(closed_season(site, 13), site)
    recent = child_in(closed_season(site, 6), site)
    running = enroll(site.group)
    age_before = old.season.age_on_start(old.child.date_of_birth)
    run()
    child = Child.objects.get(pk=old.child.pk)
    assert child.name == "已匿名" and child.anonymised_at is not None
    assert not child.guardianships.exists() and not child.pickups.exists()
    assert Attendance.objects.get(enrollment=old).picked_up_by == ""
    # What the reports count is kept: the enrollment, the day, the age band.
    assert Enrollment.objects.get(pk=old.pk).status == "enrolled"
    assert old.season.age_on_start(child.date_of_birth) == age_before
    assert Child.objects.get(pk=recent.child.pk).anonymised_at is None
    assert Child.objects.get(pk=running.child.pk).anonymised_at is None


def test_the_periodic_task_runs_the_same_rule_and_twice_is_harmless(site):
    old = child_in(closed_season(site, 13), site)
    anonymise_children()
    anonymise_children()
    assert Child.objects.get(pk=old.child.pk).name == "已匿名"


def test_hr_exports_everything_about_a_child(client_of, site):
    enrollment = enroll(site.group)
    mark(enrollment, site.season.start_date)
    response = client_of(site.hr).get(
        reverse("enrollment:child-export", args=[enrollment.child.pk])
    )
    data = json.loads(response.content)
    assert data["child"]["name"] == enrollment.child.name
    assert data["guardians"] and data["enrollments"][0]["reference"] == enrollment.reference
    assert len(data["attendance"]) == 1


def test_hr_erases_a_child_on_request_and_the_figures_stay(client_of, site):
    enrollment = enroll(site.group)
    mark(enrollment, site.season.start_date)
    url = reverse("enrollment:child-erase", args=[enrollment.child.pk])
    hr = client_of(site.hr)
    refused = hr.post(url, {"reason": "母亲来电要求删除"})
    assert "请勾选" in refused.content.decode()
    assert Child.objects.get().anonymised_at is None
    hr.post(url, {"reason": "母亲来电要求删除", "confirm": "on"})
    child = Child.objects.get()
    assert child.name == "已匿名"
    assert Attendance.objects.filter(enrollment__child=child).count() == 1


def test_others_cannot_export_or_erase(client_of, site, stranger):
    child = enroll(site.group).child
    for user in (stranger, site.teacher_user, site.manager):
        client = client_of(user)
        assert client.get(reverse("enrollment:child-export", args=[child.pk])).status_code == 404
        erase = reverse("enrollment:child-erase", args=[child.pk])
        assert client.post(erase, {"reason": "x", "confirm": "on"}).status_code == 404
    assert Child.objects.get().anonymised_at is None

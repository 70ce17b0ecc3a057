"""Invariants held by the database itself, not only by forms."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from attendance.models import Attendance
from enrollment.models import Enrollment
from spaces.models import ClosedDay, Season

from ..builders import EnrollmentBuilder, SeasonBuilder, enroll, mark


def test_one_attendance_record_per_child_per_day(site):
    enrollment = enroll(site.group)
    mark(enrollment, site.season.start_date)
    with pytest.raises(IntegrityError), transaction.atomic():
        mark(enrollment, site.season.start_date, status="absent")


def test_a_child_is_enrolled_once_per_season(site):
    enrollment = enroll(site.group)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentBuilder(season=site.season, child=enrollment.child)


def test_a_season_cannot_end_before_it_starts(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonBuilder(end_date=datetime.date(2026, 7, 1), start_date=datetime.date(2026, 8, 1))


def test_departure_cannot_precede_arrival(site):
    with pytest.raises(IntegrityError), transaction.atomic():
        enroll(
            site.group,
            arrival_date=datetime.date(2026, 8, 1),
            departure_date=datetime.date(2026, 7, 1),
        )


def test_check_out_cannot_precede_check_in(site):
    record = mark(enroll(site.group), site.season.start_date)
    record.check_in_at = datetime.datetime(2026, 7, 1, 9, tzinfo=datetime.UTC)
    record.check_out_at = datetime.datetime(2026, 7, 1, 8, tzinfo=datetime.UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        record.save()


def test_opening_days_skip_closed_weekdays_and_holidays(db):
    season = SeasonBuilder(
        start_date=datetime.date(2026, 7, 6),  # a Monday
        end_date=datetime.date(2026, 7, 12),
        opening_weekdays="123456",
    )
    ClosedDay.objects.create(season=season, date=datetime.date(2026, 7, 8), reason="台风")
    days = season.opening_days()
    assert [d.day for d in days] == [6, 7, 9, 10, 11]
    assert season.is_opening_day(datetime.date(2026, 7, 9))
    assert not season.is_opening_day(datetime.date(2026, 7, 8))
    assert not season.is_opening_day(datetime.date(2026, 7, 12))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_roll_call_creates_one_record(site):
    """Eight simultaneous taps on one child: one row, no error for any tap."""
    enrollment = enroll(site.group)
    day = site.season.start_date
    barrier = threading.Barrier(8)
    errors = []

    def tap():
        try:
            barrier.wait()
            Attendance.objects.get_or_create(
                enrollment=enrollment, date=day, defaults={"group": site.group, "status": "present"}
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Attendance.objects.filter(enrollment=enrollment, date=day).count() == 1
    assert Enrollment.objects.count() == 1
    assert Season.objects.count() == 1

"""A database from before the attendance and notifications apps migrates forward
with every row where it was: the models moved, their tables did not."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from attendance.models import Attendance, GroupDay, Incident, StaffShift
from factories.models import AuditEntry
from notifications.models import Notification

# The last migrations of the layout before the move.
BEFORE = [
    ("factories", "0004_notification_preferences"),
    ("spaces", "0004_season_setup"),
    ("enrollment", "0003_child_anonymised_at"),
    ("reports", "0001_daily_counts"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def old_world(apps) -> dict:
    """One of everything that moved, written with the models as they were."""
    day = datetime.date(2026, 7, 6)
    at = timezone.make_aware(datetime.datetime(2026, 7, 6, 8, 30))
    factory = apps.get_model("factories", "Factory").objects.create(
        code="old", name_zh="旧厂", province="guangdong", city="东莞"
    )
    season = apps.get_model("spaces", "Season").objects.create(
        factory=factory,
        name="2026年暑期",
        start_date=day,
        end_date=day + datetime.timedelta(days=30),
        capacity=10,
        application_token="old-token",
    )
    group = apps.get_model("spaces", "Group").objects.create(
        season=season, name="幼儿组", min_age=3, max_age=6, capacity=10
    )
    teacher = apps.get_model("spaces", "Teacher").objects.create(
        factory=factory, name="王老师", kind="professional"
    )
    child = apps.get_model("enrollment", "Child").objects.create(
        factory=factory,
        name="李小明",
        sex="M",
        date_of_birth=datetime.date(2021, 3, 5),
        home_province="sichuan",
        lives_with="grandparents",
    )
    enrollment = apps.get_model("enrollment", "Enrollment").objects.create(
        child=child,
        season=season,
        group=group,
        status="enrolled",
        reference="OLDREF01",
        arrival_date=day,
        departure_date=day + datetime.timedelta(days=30),
    )
    record = apps.get_model("spaces", "Attendance").objects.create(
        enrollment=enrollment, group=group, date=day, status="present", check_in_at=at
    )
    incident = apps.get_model("spaces", "Incident").objects.create(
        group=group, occurred_at=at, kind="injury", severity="minor", description="擦伤膝盖"
    )
    incident.children.add(child)
    apps.get_model("spaces", "StaffShift").objects.create(
        group=group, teacher=teacher, date=day, check_in_at=at
    )
    apps.get_model("reports", "GroupDay").objects.create(
        factory=factory, season=season, group=group, date=day, expected=1, recorded=1, attended=1
    )
    apps.get_model("factories", "Notification").objects.create(
        factory=factory,
        email="hr@example.com",
        kind="waitlist_promoted",
        idempotency_key="waitlist_promoted:1:1",
        language="zh-hans",
        subject="候补转正",
        body="…",
    )
    apps.get_model("factories", "AuditEntry").objects.create(
        factory=factory,
        model="spaces.attendance",
        object_id=str(record.pk),
        action="create",
        changes={"status": [None, "present"]},
    )
    return {"record": record.pk, "incident": incident.pk, "child": child.pk}


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_migrates_forward_with_every_row():
    # Back to the layout before the move (attendance and notifications unapplied).
    executor = migrate(BEFORE + [("attendance", None), ("notifications", None)])
    old = old_world(executor.loader.project_state(BEFORE).apps)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    record = Attendance.objects.get(pk=old["record"])
    assert (record.status, record.enrollment.child.name) == ("present", "李小明")
    incident = Incident.objects.get(pk=old["incident"])
    assert list(incident.children.values_list("pk", flat=True)) == [old["child"]]
    assert StaffShift.objects.filter(group=record.group).count() == 1
    assert GroupDay.objects.get(group=record.group).attended == 1
    assert Notification.objects.get().idempotency_key == "waitlist_promoted:1:1"
    # The audit trail and the admin's content types follow the models.
    ContentType.objects.clear_cache()
    assert AuditEntry.objects.get(object_id=str(record.pk)).model == "attendance.attendance"
    assert ContentType.objects.get_for_model(Attendance).app_label == "attendance"
    assert not ContentType.objects.filter(app_label="spaces", model="attendance").exists()

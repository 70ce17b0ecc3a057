"""Queries compiled once per process (ccrcsr/prepared.py) answer exactly what
their QuerySet answers, for every persona, and refuse a QuerySet whose SQL
would carry one caller's values to the next."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from django.utils import timezone

from attendance.roll_call import roll_call_group, roll_call_roster, roster_with_records
from ccrcsr.prepared import PreparedQuery
from enrollment.models import Enrollment
from factories.models import Role
from spaces.models import Group

from .builders import enroll, mark


def orm_roster(user, group, day):
    return roster_with_records(Enrollment.objects.visible_to(user).for_roll_call(group, day), day)


def seen(roster):
    return [(e.pk, e.child.name, e.day_record and e.day_record.status) for e in roster]


@pytest.mark.parametrize("persona", ["teacher_user", "coordinator", "hr", "manager"])
def test_the_prepared_roster_is_the_querysets_for_each_persona(site, persona):
    day = timezone.localdate()
    children = [enroll(site.group) for _ in range(3)]
    mark(children[0], day, "late")
    user = getattr(site, persona)
    assert seen(roll_call_roster(user, site.group, day)) == seen(orm_roster(user, site.group, day))
    one = roll_call_roster(user, site.group, day, enrollment_id=children[0].pk)
    assert seen(one) == [
        row for row in seen(orm_roster(user, site.group, day)) if row[0] == children[0].pk
    ]


def test_a_stranger_and_a_superuser_get_what_their_scope_allows(site, stranger, superuser):
    day = timezone.localdate()
    child = enroll(site.group)
    assert roll_call_group(stranger, site.group.pk, day) is None
    assert roll_call_roster(stranger, site.group, day) == []
    assert roll_call_group(superuser, site.group.pk, day).rc_role == Role.COORDINATOR
    assert [e.pk for e in roll_call_roster(superuser, site.group, day)] == [child.pk]


def test_the_prepared_group_carries_its_relations_and_annotations(site):
    day = timezone.localdate()
    group = roll_call_group(site.teacher_user, site.group.pk, day)
    assert group.season.factory == site.factory  # select_related, no query needed
    assert group.rc_role == Role.TEACHER
    assert group.my_teacher_id == site.teacher.pk
    assert group.is_closed_day is False


@pytest.mark.django_db
def test_it_refuses_a_queryset_whose_parameters_move_with_the_values():
    baked = PreparedQuery(lambda shape, n: Group.objects.filter(name=f"group {n}"), n="int")
    with pytest.raises(ImproperlyConfigured):
        baked.run(None, n=1)


@pytest.mark.django_db
def test_it_refuses_a_queryset_that_runs_a_query_while_being_built():
    evaluated = PreparedQuery(
        lambda shape, n: Group.objects.filter(pk__in=list(Group.objects.values_list("pk"))),
        n="int",
    )
    with pytest.raises(ImproperlyConfigured):
        evaluated.run(None, n=1)


@pytest.mark.django_db
def test_it_runs_a_queryset_with_annotations_and_new_values(site):
    named = PreparedQuery(
        lambda shape, pk: Group.objects.filter(pk=pk).annotate(season_name=F("season__name")),
        pk="int",
    )
    (group,) = named.run(None, pk=site.group.pk)
    assert (group.pk, group.season_name) == (site.group.pk, site.season.name)
    assert named.run(None, pk=site.group.pk + 1000) == []


@pytest.mark.postgres
def test_on_postgresql_the_sql_is_a_prepared_statement_of_the_connection(site):
    from django.db import connection

    day = timezone.localdate()
    for _ in range(3):
        roll_call_roster(site.teacher_user, site.group, day)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'ccrcsr_%%'")
        (prepared,) = cursor.fetchone()
    assert prepared >= 1
    assert seen(roll_call_roster(site.teacher_user, site.group, day)) == seen(
        orm_roster(site.teacher_user, site.group, day)
    )

"""`roll_call_group` decides who sees a group, who takes its roll call and who
sees its children in its own query (the user's best role at the factory, and
whether they teach the group), instead of the scopes' subqueries over every
factory. It must give the scopes' answers for every kind of user:
`Group.objects.visible_to`, `Group.roll_call_role` and
`Enrollment.objects.visible_to`."""

import pytest
from django.utils import timezone

from attendance.roll_call import roll_call_group, roll_call_roster
from enrollment.models import Enrollment
from factories.models import Membership, Role
from spaces.models import Group, TeacherAssignment

from ..builders import GroupBuilder, TeacherBuilder, UserBuilder, assign, enroll, member


def users_of_every_kind(site, other_site, superuser):
    """Each persona with what they should be allowed; built so that each way in
    (role, lead teacher, assignment to the group or to its season) is alone."""
    group = site.group
    lead_only = member(site.factory, Role.TEACHER)
    lead_only_teacher = TeacherBuilder(factory=site.factory, user=lead_only)
    led = GroupBuilder(season=site.season, lead_teacher=lead_only_teacher, min_age=3, max_age=5)
    season_wide = member(site.factory, Role.TEACHER)
    TeacherAssignment.objects.create(
        teacher=TeacherBuilder(factory=site.factory, user=season_wide), season=site.season
    )
    other_group = member(site.factory, Role.TEACHER)
    assign(TeacherBuilder(factory=site.factory, user=other_group), led)
    hr_and_manager = member(site.factory, Role.MANAGER)
    Membership.objects.create(user=hr_and_manager, factory=site.factory, role=Role.HR)
    manager_and_coordinator = member(site.factory, Role.MANAGER)
    Membership.objects.create(
        user=manager_and_coordinator, factory=site.factory, role=Role.COORDINATOR
    )
    teacher_role_only = member(site.factory, Role.TEACHER)  # a membership, no teacher row
    elsewhere = UserBuilder()
    for role in Role.values:
        Membership.objects.create(user=elsewhere, factory=other_site.factory, role=role)
    return (
        group,
        led,
        {
            "superuser": superuser,
            "coordinator": site.coordinator,
            "hr": site.hr,
            "manager": site.manager,
            "the group's teacher": site.teacher_user,
            "lead of the other group only": lead_only,
            "assigned to the whole season": season_wide,
            "teacher of another group": other_group,
            "hr and manager": hr_and_manager,
            "manager and coordinator": manager_and_coordinator,
            "teacher role without a teacher row": teacher_role_only,
            "every role at another factory": elsewhere,
            "no membership": UserBuilder(),
        },
    )


@pytest.mark.django_db
def test_roll_call_group_answers_as_the_scopes_do_for_every_kind_of_user(
    site, other_site, superuser
):
    day = timezone.localdate()
    group, led, users = users_of_every_kind(site, other_site, superuser)
    for g in (group, led, other_site.group):
        enroll(g)
    seen = {}
    for name, user in users.items():
        for g in (group, led, other_site.group):
            fetched = roll_call_group(user, g.pk, day)
            expected_visible = Group.objects.visible_to(user).filter(pk=g.pk).exists()
            assert (fetched is not None) == expected_visible, (name, g.name)
            if fetched is None:
                continue
            seen[name, g.pk] = fetched.role
            assert fetched.role == Group.objects.get(pk=g.pk).roll_call_role(user), name
            children = Enrollment.objects.visible_to(user).filter(group=g)
            assert fetched.sees_children == children.exists(), (name, g.name)
            assert len(roll_call_roster(fetched, day)) == children.count(), name
    # The personas really cover the ways in (a test of the test).
    assert seen["coordinator", group.pk] == Role.COORDINATOR
    assert seen["manager and coordinator", group.pk] == Role.COORDINATOR
    assert seen["the group's teacher", group.pk] == Role.TEACHER
    assert seen["lead of the other group only", led.pk] == Role.TEACHER
    assert seen["assigned to the whole season", group.pk] == Role.TEACHER
    assert seen["teacher of another group", led.pk] == Role.TEACHER
    assert seen["manager", group.pk] is None
    assert ("lead of the other group only", group.pk) not in seen
    assert ("every role at another factory", group.pk) not in seen
    assert ("every role at another factory", other_site.group.pk) in seen

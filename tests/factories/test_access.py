"""Who may see what: the one scoping mechanism, per model and role."""

import pytest
from django.contrib.auth.models import AnonymousUser

from attendance.models import Attendance
from enrollment.models import Child, Enrollment
from factories.models import Factory, Worker
from notifications.models import Notification
from spaces.models import Group, Season, Teacher

from ..builders import enroll, mark


@pytest.fixture
def kids(site, other_site, other_group_teacher):
    """A child in the site's group, one in another group of A, one at factory B."""
    other_group = Group.objects.exclude(pk=site.group.pk).get(season=site.season)
    mine = enroll(site.group)
    other_group_child = enroll(other_group)
    far = enroll(other_site.group)
    for enrollment in (mine, other_group_child, far):
        mark(enrollment, site.season.start_date)
    return mine, other_group_child, far


def test_hr_sees_every_child_of_own_factory_and_none_of_another(site, kids):
    mine, other_group_child, far = kids
    visible = set(Child.objects.visible_to(site.hr))
    assert visible == {mine.child, other_group_child.child}


def test_teacher_sees_only_children_of_own_groups(site, kids):
    mine, _, _ = kids
    assert list(Child.objects.visible_to(site.teacher_user)) == [mine.child]
    assert list(Enrollment.objects.visible_to(site.teacher_user)) == [mine]
    assert list(Attendance.objects.visible_to(site.teacher_user)) == [mine.attendances.get()]


def test_manager_reads_figures_not_children(site, kids):
    assert not Child.objects.visible_to(site.manager).exists()
    assert not Enrollment.objects.visible_to(site.manager).exists()
    assert not Worker.objects.visible_to(site.manager).exists()
    assert list(Season.objects.visible_to(site.manager)) == [site.season]
    assert Attendance.objects.visible_to(site.manager).count() == 2


def test_coordinator_covers_several_factories(site, other_site, kids):
    from factories.models import Membership, Role

    Membership.objects.create(
        user=site.coordinator, factory=other_site.factory, role=Role.COORDINATOR
    )
    assert set(Factory.objects.visible_to(site.coordinator)) == {site.factory, other_site.factory}
    assert Child.objects.visible_to(site.coordinator).count() == 3


def test_superuser_sees_everything(superuser, kids):
    assert Child.objects.visible_to(superuser).count() == 3
    assert Factory.objects.visible_to(superuser).count() == 2


def test_anonymous_sees_nothing(kids):
    anonymous = AnonymousUser()
    for model in (Factory, Season, Group, Teacher, Child, Enrollment, Attendance, Worker):
        assert not model.objects.visible_to(anonymous).exists(), model


def test_teacher_sees_seasons_they_teach_and_not_the_others(site, other_site):
    from ..builders import SeasonBuilder

    later = SeasonBuilder(factory=site.factory)
    assert list(Season.objects.visible_to(site.teacher_user)) == [site.season]
    assert set(Season.objects.visible_to(site.hr)) == {site.season, later}


def test_a_user_without_memberships_sees_nothing(db, kids):
    from ..builders import UserBuilder

    nobody = UserBuilder()
    assert not Child.objects.visible_to(nobody).exists()
    assert not Factory.objects.visible_to(nobody).exists()


def test_notification_log_is_scoped_to_own_factory_and_own_messages(site, other_site):
    def note(factory, recipient, key):
        return Notification.objects.create(
            factory=factory,
            recipient=recipient,
            email="x@example.com",
            kind="test",
            idempotency_key=key,
            language="zh-hans",
            subject="s",
            body="b",
        )

    to_manager = note(site.factory, site.manager, "a")
    to_far = note(other_site.factory, other_site.manager, "b")
    assert set(Notification.objects.visible_to(site.hr)) == {to_manager}
    assert set(Notification.objects.visible_to(site.manager)) == {to_manager}
    assert set(Notification.objects.visible_to(site.teacher_user)) == set()
    assert to_far not in Notification.objects.visible_to(site.coordinator)

"""The teacher directory, the code of conduct, and the season's roster."""

import datetime

import pytest
from django.urls import reverse

from factories.models import AuditEntry, Membership, Role
from spaces.models import Season, Teacher, TeacherAssignment, TeacherPolicyAcceptance

from ..builders import GroupBuilder, SeasonBuilder, TeacherBuilder, UserBuilder, assign, member
from .conftest import days, vet


def list_url(factory):
    return reverse("spaces:teacher-list", args=[factory.pk])


def new_url(factory):
    return reverse("spaces:teacher-new", args=[factory.pk])


def edit_url(teacher):
    return reverse("spaces:teacher-edit", args=[teacher.pk])


def roster_url(season):
    return reverse("spaces:season-roster", args=[season.pk])


def teacher_data(**changes) -> dict:
    data = {
        "name": "刘晓丽",
        "kind": "volunteer",
        "qualification": "师范大学大三学生",
        "phone": "138 1234 5678",
        "training_completed_on": days(-3).isoformat(),
        "background_check_on": days(-30).isoformat(),
        "username": "",
    }
    data.update(changes)
    return data


# --- the directory ---


@pytest.mark.parametrize("persona", ["hr", "coordinator", "manager"])
def test_staff_read_the_directory_with_each_teachers_checks(client_of, site, policy, persona):
    vet(site.teacher, policy)
    html = client_of(getattr(site, persona)).get(list_url(site.factory)).content.decode()
    assert site.teacher.name in html
    assert days(-100).isoformat() in html
    assert f"✓ v{policy.version}" in html


def test_teachers_and_strangers_get_404_for_the_directory(client_of, site, stranger):
    assert client_of(site.teacher_user).get(list_url(site.factory)).status_code == 404
    assert client_of(stranger).get(list_url(site.factory)).status_code == 404
    assert client_of(stranger).post(new_url(site.factory), teacher_data()).status_code == 404
    assert not Teacher.objects.filter(name="刘晓丽").exists()


def test_the_directory_uses_a_fixed_number_of_queries(
    client_of, site, policy, django_assert_max_num_queries
):
    for _ in range(15):
        teacher = vet(TeacherBuilder(factory=site.factory, user=UserBuilder()), policy)
        assign(teacher, site.group)
    client = client_of(site.hr)
    # session, user, factory, code of conduct, teachers with logins and acceptance,
    # may set up, nav memberships; + 3: the session saved (idle timeout)
    with django_assert_max_num_queries(10):
        response = client.get(list_url(site.factory))
    assert response.content.decode().count(f"✓ v{policy.version}") == 15


# --- adding and editing teachers ---


def test_a_coordinator_adds_a_teacher_with_a_login_and_a_signed_code(client_of, site, policy):
    # Someone who already works at this factory (a login is never typed in: see
    # test_teacher_logins.py).
    login = member(site.factory, Role.MANAGER, username="liu_xiaoli")
    data = teacher_data(username="liu_xiaoli", accepts_policy="on")
    response = client_of(site.coordinator).post(new_url(site.factory), data, follow=True)
    assert "刘晓丽 已保存。" in response.content.decode()
    teacher = Teacher.objects.get(name="刘晓丽")
    assert (teacher.factory, teacher.user, teacher.phone) == (site.factory, login, "13812345678")
    # The login may now take the roll call at this factory.
    assert Membership.objects.filter(user=login, factory=site.factory, role=Role.TEACHER).exists()
    acceptance = TeacherPolicyAcceptance.objects.get(teacher=teacher)
    assert acceptance.policy == policy and acceptance.recorded_by == site.coordinator
    entry = AuditEntry.objects.get(model="spaces.teacher")
    assert entry.changes["code_of_conduct"] == [None, policy.version]
    assert entry.changes["background_check_on"] == [None, days(-30).isoformat()]


def test_a_teacher_who_signed_is_not_asked_again(client_of, site, policy):
    vet(site.teacher, policy)
    html = client_of(site.coordinator).get(edit_url(site.teacher)).content.decode()
    assert f"已签署行为守则第 {policy.version} 版。" in html
    assert 'name="accepts_policy"' not in html


def test_a_new_version_of_the_code_asks_for_a_new_signature(client_of, site, policy):
    vet(site.teacher, policy)
    newer = type(policy).objects.create(version=policy.version + 1, text_zh="第二版")
    data = teacher_data(name=site.teacher.name, accepts_policy="on")
    client_of(site.coordinator).post(edit_url(site.teacher), data)
    versions = TeacherPolicyAcceptance.objects.filter(teacher=site.teacher).values_list(
        "policy__version", flat=True
    )
    assert sorted(versions) == [policy.version, newer.version]


def test_requirement_changes_are_audited(client_of, site):
    data = teacher_data(name=site.teacher.name, background_check_on=days(-1).isoformat())
    client_of(site.coordinator).post(edit_url(site.teacher), data)
    site.teacher.refresh_from_db()
    assert site.teacher.background_check_on == days(-1)
    entry = AuditEntry.objects.get(model="spaces.teacher", object_id=str(site.teacher.pk))
    assert entry.changes["background_check_on"] == ["2026-05-01", days(-1).isoformat()]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"username": "nobody"}, "请选择本厂的人员，或新建一个登录账号。"),
        ({"training_completed_on": days(1).isoformat()}, "这个日期还没到。"),
        ({"background_check_on": days(1).isoformat()}, "这个日期还没到。"),
        ({"phone": "12345"}, "请输入 11 位手机号，例如 13812345678。"),
    ],
)
def test_bad_input_adds_no_teacher(client_of, site, changes, message):
    response = client_of(site.coordinator).post(new_url(site.factory), teacher_data(**changes))
    assert message in response.content.decode()
    assert not Teacher.objects.filter(name="刘晓丽").exists()


def test_a_login_already_linked_to_a_teacher_is_refused(client_of, site):
    data = teacher_data(username=site.teacher_user.username)
    response = client_of(site.coordinator).post(new_url(site.factory), data)
    assert f"这个账号已关联到 {site.teacher.name}。" in response.content.decode()
    assert not Teacher.objects.filter(name="刘晓丽").exists()


@pytest.mark.parametrize("persona", ["hr", "teacher_user", "manager"])
def test_only_the_coordinator_adds_or_edits_teachers(client_of, site, persona):
    client = client_of(getattr(site, persona))
    assert client.post(new_url(site.factory), teacher_data()).status_code == 404
    assert client.get(edit_url(site.teacher)).status_code == 404
    assert not Teacher.objects.filter(name="刘晓丽").exists()


def test_a_stranger_cannot_edit_a_teacher(client_of, site, stranger):
    assert client_of(stranger).post(edit_url(site.teacher), teacher_data()).status_code == 404
    site.teacher.refresh_from_db()
    assert site.teacher.name != "刘晓丽"


# --- the roster ---


@pytest.fixture
def newcomer(site):
    return TeacherBuilder(factory=site.factory, name="新来的赵老师", background_check_on=None)


def test_a_teacher_missing_a_requirement_cannot_join_a_running_season(
    client_of, site, newcomer, policy
):
    data = {"teacher": newcomer.pk, "group": site.group.pk, "weekdays": ["1", "2", "3"]}
    response = client_of(site.coordinator).post(roster_url(site.season), data)
    # The season's own three, then the safeguarding checks (the teacher has not signed).
    message = (
        "新来的赵老师 还不能在进行中的项目期工作："
        "缺少今年的培训、签署最新版行为守则、背景审查记录、"
    )
    assert message in response.content.decode()
    assert not TeacherAssignment.objects.filter(teacher=newcomer).exists()


def test_a_vetted_teacher_joins_a_running_season_on_their_days(client_of, site, newcomer, policy):
    vet(newcomer, policy)
    data = {"teacher": newcomer.pk, "group": site.group.pk, "weekdays": ["1", "3", "5"]}
    response = client_of(site.coordinator).post(roster_url(site.season), data, follow=True)
    html = response.content.decode()
    assert "老师已加入名单。" in html and "星期一、星期三、星期五" in html
    assignment = TeacherAssignment.objects.get(teacher=newcomer)
    assert (assignment.group, assignment.weekdays) == (site.group, "135")
    assert AuditEntry.objects.filter(model="spaces.teacherassignment", action="create").exists()


def test_a_season_in_planning_takes_teachers_still_getting_ready(client_of, site, ready, newcomer):
    data = {"teacher": newcomer.pk, "group": "", "weekdays": ["6", "7"]}
    client_of(site.coordinator).post(roster_url(ready), data)
    assert TeacherAssignment.objects.get(teacher=newcomer).group is None


def test_a_teacher_cannot_be_assigned_twice_at_once(client_of, site, policy):
    vet(site.teacher, policy)
    other = GroupBuilder(season=site.season, name="大班", min_age=10, max_age=12)
    TeacherAssignment.objects.filter(teacher=site.teacher).update(weekdays="12345")
    data = {"teacher": site.teacher.pk, "group": other.pk, "weekdays": ["5", "6"]}
    client = client_of(site.coordinator)
    response = client.post(roster_url(site.season), data)
    assert (
        f"{site.teacher.name} 在星期一、星期二、星期三、星期四、星期五已安排在{site.group.name}"
        in response.content.decode()
    )
    assert not TeacherAssignment.objects.filter(group=other).exists()
    # Saturday and Sunday are free.
    client.post(roster_url(site.season), {**data, "weekdays": ["6", "7"]})
    assert TeacherAssignment.objects.filter(group=other, weekdays="67").exists()


def test_another_season_at_the_same_time_counts_as_at_once(client_of, site, policy):
    vet(site.teacher, policy)
    overlapping = SeasonBuilder(factory=site.factory, status=Season.Status.PLANNING)
    data = {"teacher": site.teacher.pk, "group": "", "weekdays": ["1"]}
    response = client_of(site.coordinator).post(roster_url(overlapping), data)
    assert "已安排在" in response.content.decode()
    later = SeasonBuilder(
        factory=site.factory,
        status=Season.Status.PLANNING,
        start_date=site.season.end_date + datetime.timedelta(days=1),
        end_date=site.season.end_date + datetime.timedelta(days=30),
    )
    client_of(site.coordinator).post(roster_url(later), data)
    assert TeacherAssignment.objects.filter(season=later).exists()


def test_taking_a_lead_teacher_off_the_roster_leaves_the_group_without_a_lead(client_of, site):
    assignment = TeacherAssignment.objects.get(teacher=site.teacher)
    url = reverse("spaces:assignment-remove", args=[assignment.pk])
    response = client_of(site.coordinator).post(url, follow=True)
    assert f"{site.teacher.name} 已从名单上移除。" in response.content.decode()
    site.group.refresh_from_db()
    assert site.group.lead_teacher is None
    assert not TeacherAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEntry.objects.filter(model="spaces.teacherassignment", action="delete").exists()


@pytest.mark.parametrize("persona", ["hr", "teacher_user", "manager"])
def test_only_the_coordinator_changes_the_roster(client_of, site, persona):
    assignment = TeacherAssignment.objects.get(teacher=site.teacher)
    client = client_of(getattr(site, persona))
    assert client.get(roster_url(site.season)).status_code == 404
    url = reverse("spaces:assignment-remove", args=[assignment.pk])
    assert client.post(url).status_code == 404
    assert TeacherAssignment.objects.filter(pk=assignment.pk).exists()


def test_a_stranger_cannot_change_the_roster(client_of, site, stranger):
    assignment = TeacherAssignment.objects.get(teacher=site.teacher)
    data = {"teacher": site.teacher.pk, "group": "", "weekdays": ["1"]}
    assert client_of(stranger).post(roster_url(site.season), data).status_code == 404
    url = reverse("spaces:assignment-remove", args=[assignment.pk])
    assert client_of(stranger).post(url).status_code == 404
    assert TeacherAssignment.objects.filter(pk=assignment.pk).exists()

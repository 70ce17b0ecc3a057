"""Groups: set-up, moving a child, the weekly plan, and the ratio on the roll call."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance, StaffShift
from factories.models import AuditEntry
from spaces.models import ActivitySlot, Group, RatioRule, Season

from ..builders import GroupBuilder, SpaceBuilder, TeacherBuilder, assign, enroll, mark
from .conftest import vet


def new_url(season):
    return reverse("spaces:group-new", args=[season.pk])


def edit_url(group):
    return reverse("spaces:group-edit", args=[group.pk])


def detail_url(group):
    return reverse("enrollment:group-detail", args=[group.pk])


def move_url(enrollment):
    return reverse("enrollment:enrollment-move", args=[enrollment.pk])


def plan_url(group):
    return reverse("spaces:group-plan", args=[group.pk])


def sheet_url(group):
    return reverse("spaces:group-plan-sheet", args=[group.pk])


@pytest.fixture
def room(site):
    return SpaceBuilder(factory=site.factory, name="二楼活动室", area_m2=60, capacity=30)


def group_data(**changes) -> dict:
    data = {"name": "幼儿组", "min_age": "3", "max_age": "6", "space": "", "capacity": "14"}
    data.update(changes)
    return data


# --- set-up ---


def test_a_coordinator_adds_a_group_whose_lead_joins_the_roster(client_of, site, ready, room):
    lead = TeacherBuilder(factory=site.factory, name="王老师")
    data = group_data(space=room.pk, lead_teacher=lead.pk)
    response = client_of(site.coordinator).post(new_url(ready), data, follow=True)
    assert "小组已保存。" in response.content.decode()
    group = Group.objects.get(season=ready, name="幼儿组")
    assert (group.space, group.lead_teacher, group.capacity) == (room, lead, 14)
    assert group.assignments.get().teacher == lead
    entry = AuditEntry.objects.get(model="spaces.group", object_id=str(group.pk))
    assert entry.changes["lead_teacher_id"] == [None, lead.pk]


def test_a_capacity_above_what_the_room_allows_is_refused(client_of, site, ready):
    # The ready season's group already takes 12 of the room's 30 places.
    room = ready.groups.get().space
    response = client_of(site.coordinator).post(
        new_url(ready), group_data(space=room.pk, capacity=20)
    )
    message = (
        "一楼活动室 最多容纳 30 名儿童（60.0 平方米，每名儿童 2.0 平方米）；"
        "其他小组已占 12 个名额。"
    )
    assert message in response.content.decode()
    assert not Group.objects.filter(name="幼儿组").exists()


def test_ages_outside_the_season_are_refused(client_of, site, ready):
    response = client_of(site.coordinator).post(new_url(ready), group_data(max_age="16"))
    assert "本期招收 3 到 14 岁的孩子。" in response.content.decode()
    assert not Group.objects.filter(name="幼儿组").exists()


def test_a_lead_missing_a_requirement_cannot_lead_in_a_running_season(client_of, site):
    newcomer = TeacherBuilder(factory=site.factory, name="新来的赵老师")
    data = group_data(name=site.group.name, min_age="6", max_age="12", lead_teacher=newcomer.pk)
    response = client_of(site.coordinator).post(edit_url(site.group), data)
    assert "新来的赵老师 还不能在进行中的项目期工作" in response.content.decode()
    site.group.refresh_from_db()
    assert site.group.lead_teacher == site.teacher


def test_a_lead_busy_with_another_group_is_refused(client_of, site, ready):
    busy = ready.groups.get().lead_teacher
    data = group_data(lead_teacher=busy.pk)
    response = client_of(site.coordinator).post(new_url(ready), data)
    assert f"{busy.name} 在" in response.content.decode()
    assert not Group.objects.filter(name="幼儿组").exists()


def test_the_coordinator_renames_a_group(client_of, site):
    data = group_data(name="小学组", min_age="6", max_age="12", lead_teacher=site.teacher.pk)
    client_of(site.coordinator).post(edit_url(site.group), data)
    site.group.refresh_from_db()
    assert site.group.name == "小学组"
    assert site.group.assignments.count() == 1  # the lead was on the roster already


@pytest.mark.parametrize("persona", ["hr", "teacher_user", "manager"])
def test_only_the_coordinator_sets_up_groups(client_of, site, persona):
    client = client_of(getattr(site, persona))
    assert client.post(new_url(site.season), group_data()).status_code == 404
    assert client.get(edit_url(site.group)).status_code == 404
    assert not Group.objects.filter(name="幼儿组").exists()


def test_a_stranger_cannot_set_up_groups(client_of, site, stranger):
    client = client_of(stranger)
    assert client.post(new_url(site.season), group_data()).status_code == 404
    assert client.post(edit_url(site.group), group_data()).status_code == 404
    assert not Group.objects.filter(name="幼儿组").exists()


def test_a_group_cannot_shrink_below_its_children(client_of, site):
    for _ in range(3):
        enroll(site.group)
    data = group_data(name=site.group.name, min_age="6", max_age="12", capacity="2")
    response = client_of(site.coordinator).post(edit_url(site.group), data)
    assert "这个小组已有 3 名孩子；请先把一些孩子调到其他小组。" in response.content.decode()
    site.group.refresh_from_db()
    assert site.group.capacity == 30


# --- the group page and moving a child ---


@pytest.fixture
def other_group(site):
    return GroupBuilder(season=site.season, name="大班", min_age=9, max_age=12, capacity=2)


def test_hr_sees_the_children_with_a_move_button(client_of, site):
    enrollment = enroll(site.group)
    html = client_of(site.hr).get(detail_url(site.group)).content.decode()
    assert enrollment.child.name in html and move_url(enrollment) in html


def test_a_teacher_sees_the_children_without_a_move_button(client_of, site):
    enrollment = enroll(site.group)
    html = client_of(site.teacher_user).get(detail_url(site.group)).content.decode()
    assert enrollment.child.name in html and move_url(enrollment) not in html


def test_a_manager_sees_the_group_but_not_the_childrens_names(client_of, site):
    enrollment = enroll(site.group)
    html = client_of(site.manager).get(detail_url(site.group)).content.decode()
    assert site.group.name in html and enrollment.child.name not in html


def test_a_stranger_gets_404_for_the_group_page(client_of, site, stranger):
    assert client_of(stranger).get(detail_url(site.group)).status_code == 404


def test_hr_moves_a_child_and_todays_record_goes_with_them(client_of, site, other_group):
    enrollment = enroll(site.group)
    today = timezone.localdate()
    yesterday = mark(enrollment, today - datetime.timedelta(days=1))
    this_morning = mark(enrollment, today)
    response = client_of(site.hr).post(move_url(enrollment), {"group": other_group.pk}, follow=True)
    assert f"{enrollment.child.name} 已调到 大班。" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.group == other_group
    this_morning.refresh_from_db()
    yesterday.refresh_from_db()
    assert this_morning.group == other_group  # today's counts follow the child
    assert yesterday.group == site.group  # history keeps where the child was
    entry = AuditEntry.objects.get(model="enrollment.enrollment", object_id=str(enrollment.pk))
    assert entry.changes == {"group": [site.group.pk, other_group.pk]}


def test_a_full_group_takes_no_one_more(client_of, site, other_group):
    enroll(other_group)
    enroll(other_group)
    enrollment = enroll(site.group)
    response = client_of(site.coordinator).post(move_url(enrollment), {"group": other_group.pk})
    assert "大班 已满。" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.group == site.group


def test_a_child_cannot_move_to_another_seasons_group(client_of, site, other_site):
    enrollment = enroll(site.group)
    response = client_of(site.hr).post(move_url(enrollment), {"group": other_site.group.pk})
    assert response.status_code == 200  # not one of the choices
    enrollment.refresh_from_db()
    assert enrollment.group == site.group


@pytest.mark.parametrize("persona", ["teacher_user", "manager"])
def test_teachers_and_managers_do_not_move_children(client_of, site, other_group, persona):
    enrollment = enroll(site.group)
    response = client_of(getattr(site, persona)).post(
        move_url(enrollment), {"group": other_group.pk}
    )
    assert response.status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.group == site.group


def test_a_stranger_cannot_move_a_child(client_of, site, other_group, stranger):
    enrollment = enroll(site.group)
    assert (
        client_of(stranger).post(move_url(enrollment), {"group": other_group.pk}).status_code == 404
    )


# --- the weekly plan ---


def plan_data(**changes) -> dict:
    data = {f"kind_{day}_{block}": "" for day in "1234567" for block in ("am", "pm")}
    data |= {f"note_{day}_{block}": "" for day in "1234567" for block in ("am", "pm")}
    data |= {"kind_1_am": "reading", "note_1_am": "绘本《猜猜我有多爱你》", "kind_1_pm": "sport"}
    data.update(changes)
    return data


def test_a_teacher_fills_in_the_weekly_plan(client_of, site):
    response = client_of(site.teacher_user).post(plan_url(site.group), plan_data(), follow=True)
    assert "每周活动计划已保存。" in response.content.decode()
    slots = ActivitySlot.objects.filter(group=site.group).values_list("weekday", "block", "kind")
    assert sorted(slots) == [(1, "am", "reading"), (1, "pm", "sport")]


def test_saving_again_replaces_the_plan(client_of, site):
    teacher = client_of(site.teacher_user)
    teacher.post(plan_url(site.group), plan_data())
    teacher.post(plan_url(site.group), plan_data(kind_1_am="", kind_1_pm="arts"))
    slots = ActivitySlot.objects.filter(group=site.group).values_list("weekday", "block", "kind")
    assert list(slots) == [(1, "pm", "arts")]


def test_other_needs_a_description(client_of, site):
    response = client_of(site.teacher_user).post(plan_url(site.group), plan_data(kind_2_am="other"))
    assert "请写明是什么活动。" in response.content.decode()
    assert not ActivitySlot.objects.exists()


def test_hr_reads_the_plan_and_may_not_change_it(client_of, site):
    ActivitySlot.objects.create(
        group=site.group, weekday=3, block="am", kind="safety", note="防溺水"
    )
    client = client_of(site.hr)
    html = client.get(plan_url(site.group)).content.decode()
    assert "安全教育" in html and "防溺水" in html and 'name="kind_3_am"' not in html
    assert client.post(plan_url(site.group), plan_data()).status_code == 403
    assert ActivitySlot.objects.count() == 1


def test_a_teacher_of_another_group_cannot_change_the_plan(client_of, site, other_site):
    assert (
        client_of(other_site.teacher_user).post(plan_url(site.group), plan_data()).status_code
        == 404
    )
    assert not ActivitySlot.objects.exists()


def test_the_printable_plan_is_in_chinese(client_of, site):
    ActivitySlot.objects.create(
        group=site.group, weekday=1, block="am", kind="reading", note="绘本"
    )
    client = client_of(site.coordinator)
    client.post(reverse("factories:set-language"), {"language": "en", "next": "/"})
    html = client.get(sheet_url(site.group)).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "每周活动计划" in html and "星期一" in html and "阅读" in html and "绘本" in html
    assert "Weekly plan" not in html


def test_a_stranger_gets_404_for_the_plan_and_its_sheet(client_of, site, stranger):
    client = client_of(stranger)
    assert client.get(plan_url(site.group)).status_code == 404
    assert client.get(sheet_url(site.group)).status_code == 404


def test_a_bilingual_season_prints_the_plan_in_both_languages(client_of, site):
    Season.objects.filter(pk=site.season.pk).update(document_languages="zh-hans,en")
    ActivitySlot.objects.create(group=site.group, weekday=1, block="am", kind="reading")
    html = client_of(site.hr).get(sheet_url(site.group)).content.decode()
    assert html.count('class="plan-sheet"') == 2
    assert "每周活动计划" in html and "Weekly plan" in html
    assert "星期一" in html and "Monday" in html and "Reading" in html


# --- the ratio on the roll call ---


def test_the_roll_call_warns_by_the_groups_ratio_rule(client_of, site, policy):
    # 7 children here with one teacher: fine under the general 1:10, not under 1:6.
    today = timezone.localdate()
    for _ in range(7):
        record = mark(enroll(site.group), today)
        record.check_in_at = timezone.now()
        record.save()
    StaffShift.objects.create(
        group=site.group, teacher=site.teacher, date=today, check_in_at=timezone.now()
    )
    url = reverse("attendance:roll-call-today", args=[site.group.pk])
    teacher = client_of(site.teacher_user)
    assert "老师不足" not in teacher.get(url).content.decode()
    RatioRule.objects.create(season=site.season, min_age=6, max_age=12, children_per_teacher=6)
    html = teacher.get(url).content.decode()
    assert "老师不足" in html and "6" in html

    helper = vet(TeacherBuilder(factory=site.factory), policy)
    assign(helper, site.group)
    StaffShift.objects.create(
        group=site.group, teacher=helper, date=today, check_in_at=timezone.now()
    )
    assert "老师不足" not in teacher.get(url).content.decode()
    assert Attendance.objects.count() == 7

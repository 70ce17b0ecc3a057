"""The readiness checklist: what blocks a season from opening, and its lifecycle."""

import datetime

import pytest
from django.urls import reverse

from factories.models import AuditEntry
from spaces.models import ConductPolicy, RatioRule, SafetyCheck, Season, TeacherAssignment
from spaces.readiness import season_readiness

from ..builders import GroupBuilder, SeasonBuilder, SpaceBuilder, TeacherBuilder, assign
from .conftest import days, passed_check, today, vet


def page(season):
    return reverse("spaces:season-detail", args=[season.pk])


def status_url(season):
    return reverse("spaces:season-status", args=[season.pk])


def blocking(html: str, key: str) -> bool:
    return f'is-blocking" data-item="{key}"' in html


def test_a_ready_season_says_so_and_opens(client_of, site, ready):
    coordinator = client_of(site.coordinator)
    html = coordinator.get(page(ready)).content.decode()
    assert "可以开班：没有未完成的必需项。" in html
    response = coordinator.post(status_url(ready), {"status": "open"}, follow=True)
    assert "项目期现在是“开放报名”。" in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == Season.Status.OPEN
    entry = AuditEntry.objects.get(model="spaces.season", object_id=str(ready.pk))
    assert entry.changes == {"status": ["planning", "open"]}
    assert entry.user == site.coordinator


def _group(season):
    return season.groups.get()


def no_groups(season):
    season.groups.all().delete()


def no_room(season):
    season.groups.update(space=None)


def no_safety_check(season):
    SafetyCheck.objects.all().delete()


def failed_safety_check(season):
    check = passed_check(_group(season).space)
    check.fire_extinguisher = False
    check.notes = "灭火器过期"
    check.save()


def only_last_summers_check(season):
    SafetyCheck.objects.update(checked_on=days(-5))
    SeasonBuilder(factory=season.factory, status="closed", start_date=days(-60), end_date=days(-1))


def no_lead(season):
    season.groups.update(lead_teacher=None)


def training_a_year_old(season):
    lead = _group(season).lead_teacher
    lead.training_completed_on = season.start_date - datetime.timedelta(days=366)
    lead.save()


def new_code_of_conduct(season):
    latest = ConductPolicy.objects.order_by("-version").first()
    ConductPolicy.objects.create(version=latest.version + 1, text_zh="新版守则")


def no_background_check(season):
    lead = _group(season).lead_teacher
    lead.background_check_on = None
    lead.save()


def room_too_small(season):
    space = _group(season).space
    space.area_m2 = 20  # room for 10 at 2 m² a child; the group takes 12
    space.save()


def too_few_teachers(season):
    season.groups.update(capacity=20)  # 1:12 needs 2 teachers; one is on the roster


BREAKS = {
    "groups": no_groups,
    "rooms": no_room,
    "safety": no_safety_check,
    "leads": no_lead,
    "training": training_a_year_old,
    "conduct": new_code_of_conduct,
    "background": no_background_check,
    "capacity": room_too_small,
    "staffing": too_few_teachers,
}
LABELS = {
    "groups": "本期已设置小组",
    "rooms": "每个小组都有活动室",
    "safety": "每个活动室都通过了开班前安全检查",
    "leads": "每个小组都有带班老师",
    "training": "名单上的每位老师都完成了今年的培训",
    "conduct": "名单上的每位老师都签署了行为守则",
    "background": "名单上的每位老师都有背景审查记录",
    "capacity": "活动室面积足够（每名儿童 2.0 平方米）",
    "staffing": "老师人数符合师生比规则",
}


@pytest.mark.parametrize("key", BREAKS)
def test_each_blocking_item_keeps_the_season_from_opening(client_of, site, ready, key):
    BREAKS[key](ready)
    coordinator = client_of(site.coordinator)
    response = coordinator.post(status_url(ready), {"status": "open"}, follow=True)
    html = response.content.decode()
    assert "项目期还不能改为“开放报名”。还没完成：" in html
    assert LABELS[key] in html
    assert blocking(html, key)
    ready.refresh_from_db()
    assert ready.status == Season.Status.PLANNING
    assert not AuditEntry.objects.filter(model="spaces.season").exists()


@pytest.mark.parametrize(
    ("breaks", "detail"),
    [
        (failed_safety_check, "一楼活动室："),
        (only_last_summers_check, "一楼活动室：还没有检查。"),
    ],
)
def test_the_safety_item_says_which_room_and_why(client_of, site, ready, breaks, detail):
    breaks(ready)
    html = client_of(site.coordinator).get(page(ready)).content.decode()
    assert blocking(html, "safety") and detail in html


def test_a_failed_pre_opening_check_names_the_failed_item(ready):
    failed_safety_check(ready)
    safety = next(i for i in season_readiness(ready).items if i.key == "safety")
    assert not safety.done
    assert "灭火器在有效期内" in safety.details[0]


def test_the_staffing_item_names_the_short_group(client_of, site, ready):
    too_few_teachers(ready)
    html = client_of(site.coordinator).get(page(ready)).content.decode()
    assert "小学组：20 名儿童需要 2 位老师（每位老师最多带 12 名），名单上只有 1 位。" in html


def test_a_teacher_on_the_whole_season_covers_a_short_group(ready, policy):
    too_few_teachers(ready)
    floater = vet(TeacherBuilder(factory=ready.factory), policy)
    TeacherAssignment.objects.create(teacher=floater, season=ready, group=None)
    assert season_readiness(ready).ready


def test_a_rule_for_the_little_ones_makes_a_mixed_group_need_more_teachers(ready):
    # 6 to 12 overlaps the 3-6 rule (1:7): staffed for its youngest, 12 children need 2.
    ready.groups.update(min_age=6)
    staffing = next(i for i in season_readiness(ready).items if i.key == "staffing")
    assert not staffing.done


def test_ages_without_a_rule_use_the_general_limit(ready):
    RatioRule.objects.filter(season=ready).delete()
    ready.children_per_teacher = 5
    ready.save()
    assert _group(ready).children_per_teacher == 5
    assert not season_readiness(ready).ready


def test_running_is_refused_while_an_item_blocks_and_allowed_once_fixed(client_of, site, ready):
    Season.objects.filter(pk=ready.pk).update(status=Season.Status.OPEN)
    no_lead(ready)
    coordinator = client_of(site.coordinator)
    html = coordinator.post(status_url(ready), {"status": "running"}, follow=True).content.decode()
    assert "项目期还不能改为“进行中”。还没完成：每个小组都有带班老师。" in html
    ready.refresh_from_db()
    assert ready.status == Season.Status.OPEN

    lead = TeacherAssignment.objects.get(season=ready).teacher
    ready.groups.update(lead_teacher=lead)
    coordinator.post(status_url(ready), {"status": "running"})
    ready.refresh_from_db()
    assert ready.status == Season.Status.RUNNING


def test_a_season_never_moves_backwards(client_of, site):
    coordinator = client_of(site.coordinator)
    response = coordinator.post(status_url(site.season), {"status": "open"}, follow=True)
    assert "项目期不能从“进行中”退回到“开放报名”。" in response.content.decode()
    site.season.refresh_from_db()
    assert site.season.status == Season.Status.RUNNING
    assert not AuditEntry.objects.filter(model="spaces.season").exists()


def test_closing_needs_no_checklist(client_of, site):
    client_of(site.coordinator).post(status_url(site.season), {"status": "closed"})
    site.season.refresh_from_db()
    assert site.season.status == Season.Status.CLOSED


def test_a_closed_season_stays_closed(client_of, site):
    Season.objects.filter(pk=site.season.pk).update(status=Season.Status.CLOSED)
    client_of(site.coordinator).post(status_url(site.season), {"status": "running"})
    site.season.refresh_from_db()
    assert site.season.status == Season.Status.CLOSED


def test_a_status_that_does_not_exist_changes_nothing(client_of, site, ready):
    response = client_of(site.coordinator).post(status_url(ready), {"status": "ready"}, follow=True)
    assert "这不是有效的项目期状态。" in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == Season.Status.PLANNING


@pytest.mark.parametrize("persona", ["hr", "manager", "teacher_user"])
def test_only_the_coordinator_moves_a_season(client_of, site, ready, persona):
    response = client_of(getattr(site, persona)).post(status_url(ready), {"status": "open"})
    assert response.status_code == 404
    ready.refresh_from_db()
    assert ready.status == Season.Status.PLANNING


def test_a_stranger_cannot_move_a_season(client_of, stranger, ready):
    assert client_of(stranger).post(status_url(ready), {"status": "open"}).status_code == 404


def test_hr_sees_the_checklist_without_the_buttons(client_of, site, ready):
    html = client_of(site.hr).get(page(ready)).content.decode()
    assert 'id="readiness"' in html
    assert 'name="status"' not in html


def test_a_teacher_does_not_see_the_checklist(client_of, site, ready):
    lead = _group(ready).lead_teacher
    html = client_of(lead.user).get(page(ready)).content.decode()
    assert 'id="readiness"' not in html


def test_a_failed_weekly_check_is_flagged_to_the_coordinator(client_of, site, policy):
    room = SpaceBuilder(factory=site.factory, name="阅读室", area_m2=80, capacity=40)
    site.group.space = room
    site.group.save()
    passed_check(room, on=site.season.start_date - datetime.timedelta(days=3))
    failed = passed_check(room, on=today(), kind=SafetyCheck.Kind.WEEKLY)
    failed.drinking_water = False
    failed.notes = "饮水机坏了，已报修"
    failed.save()
    html = client_of(site.coordinator).get(page(site.season)).content.decode()
    assert 'is-flag" data-item="weekly"' in html
    assert "阅读室：" in html and "饮水机坏了，已报修" in html
    assert "需要关注" in html and "未完成不能开班" not in html


def test_a_running_season_without_a_recent_weekly_check_is_flagged(site):
    room = SpaceBuilder(factory=site.factory, area_m2=80, capacity=40)
    site.group.space = room
    site.group.save()
    passed_check(room, on=today() - datetime.timedelta(days=8), kind=SafetyCheck.Kind.WEEKLY)
    readiness = season_readiness(site.season)
    assert [item.key for item in readiness.flags] == ["weekly"]


def test_the_checklist_reads_a_fixed_number_of_queries(
    client_of, site, ready, policy, django_assert_max_num_queries
):
    for _n in range(8):
        room = SpaceBuilder(factory=site.factory, area_m2=60, capacity=30)
        passed_check(room)
        lead = vet(TeacherBuilder(factory=site.factory), policy)
        assign(lead, GroupBuilder(season=ready, space=room, capacity=10, lead_teacher=lead))
    # session, user, season (with counts), ratio rules, my roles, nav memberships,
    # the page's groups, roster and closed days; the checklist's groups, roster,
    # previous season, safety checks, code of conduct, acceptances;
    # + 3: the session saved on each request (idle timeout)
    coordinator = client_of(site.coordinator)
    with django_assert_max_num_queries(18):
        response = coordinator.get(page(ready))
    assert response.content.decode().count('class="readiness-item ') == 9

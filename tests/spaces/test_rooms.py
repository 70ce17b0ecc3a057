"""Rooms (spaces) and their safety checks."""

import pytest
from django.urls import reverse

from spaces.models import SafetyCheck, Space

from ..builders import SpaceBuilder
from .conftest import days, passed_check, today


def list_url(factory):
    return reverse("spaces:space-list", args=[factory.pk])


def new_url(factory):
    return reverse("spaces:space-new", args=[factory.pk])


def edit_url(space):
    return reverse("spaces:space-edit", args=[space.pk])


def check_url(space):
    return reverse("spaces:safety-check-new", args=[space.pk])


@pytest.fixture
def room(site):
    return SpaceBuilder(
        factory=site.factory, name="一楼活动室", area_m2=60, capacity=30, location="宿舍A栋"
    )


ALL_PASSED = {item: "on" for item in SafetyCheck.ITEMS}


# --- the list ---


@pytest.mark.parametrize("persona", ["hr", "teacher_user", "coordinator", "manager"])
def test_the_factorys_staff_see_its_rooms_and_their_checks(client_of, site, room, persona):
    passed_check(room)
    html = client_of(getattr(site, persona)).get(list_url(site.factory)).content.decode()
    assert "一楼活动室" in html and "宿舍A栋" in html
    assert "开班前 · 全部合格" in html


def test_the_coordinator_may_add_rooms_and_teachers_may_record_checks(client_of, site, room):
    coordinator = client_of(site.coordinator).get(list_url(site.factory)).content.decode()
    assert new_url(site.factory) in coordinator and check_url(room) in coordinator
    teacher = client_of(site.teacher_user).get(list_url(site.factory)).content.decode()
    assert new_url(site.factory) not in teacher and check_url(room) in teacher
    hr = client_of(site.hr).get(list_url(site.factory)).content.decode()
    assert check_url(room) not in hr


def test_a_stranger_gets_404_for_the_rooms(client_of, site, room, stranger):
    client = client_of(stranger)
    assert client.get(list_url(site.factory)).status_code == 404
    assert client.get(new_url(site.factory)).status_code == 404
    assert client.get(edit_url(room)).status_code == 404
    assert (
        client.post(check_url(room), {"kind": "weekly", "checked_on": today()}).status_code == 404
    )


def test_the_list_uses_a_fixed_number_of_queries(client_of, site, django_assert_max_num_queries):
    for _ in range(10):
        room = SpaceBuilder(factory=site.factory, area_m2=60, capacity=30)
        for day in range(5):
            passed_check(room, on=days(-day))
    client = client_of(site.coordinator)
    # session, user, factory, rooms, their last three checks (one query with a
    # window), may set up, may check, nav memberships
    # + 3: the session saved on each request (idle timeout)
    with django_assert_max_num_queries(11):
        response = client.get(list_url(site.factory))
    assert response.content.decode().count("全部合格") == 30


# --- adding and editing rooms ---


def test_a_coordinator_adds_a_room(client_of, site):
    data = {"name": "阅读室", "location": "二楼", "area_m2": "50", "capacity": "25"}
    response = client_of(site.coordinator).post(new_url(site.factory), data, follow=True)
    assert "活动室已保存。" in response.content.decode()
    room = Space.objects.get(name="阅读室")
    assert (room.factory, room.capacity, room.room_for) == (site.factory, 25, 25)


def test_a_capacity_above_what_the_area_allows_is_refused(client_of, site):
    data = {"name": "阅读室", "location": "", "area_m2": "40", "capacity": "25"}
    response = client_of(site.coordinator).post(new_url(site.factory), data)
    assert (
        "40 平方米的活动室最多容纳 20 名儿童（每名儿童 2.0 平方米）。" in response.content.decode()
    )
    assert not Space.objects.filter(name="阅读室").exists()


def test_a_coordinator_edits_a_room(client_of, site, room):
    data = {"name": "一楼活动室", "location": "宿舍A栋", "area_m2": "80", "capacity": "40"}
    client_of(site.coordinator).post(edit_url(room), data)
    room.refresh_from_db()
    assert room.capacity == 40 and room.area_m2 == 80


def test_a_second_room_with_the_same_name_is_refused(client_of, site, room):
    data = {"name": "一楼活动室", "location": "", "area_m2": "50", "capacity": "20"}
    response = client_of(site.coordinator).post(new_url(site.factory), data)
    assert "本厂已有同名的活动室。" in response.content.decode()
    assert Space.objects.filter(name="一楼活动室").count() == 1


@pytest.mark.parametrize("persona", ["hr", "teacher_user", "manager"])
def test_only_the_coordinator_adds_or_edits_rooms(client_of, site, room, persona):
    client = client_of(getattr(site, persona))
    data = {"name": "阅读室", "location": "", "area_m2": "50", "capacity": "20"}
    assert client.post(new_url(site.factory), data).status_code == 404
    assert client.get(edit_url(room)).status_code == 404
    assert not Space.objects.filter(name="阅读室").exists()


# --- safety checks ---


def test_a_teacher_records_a_weekly_check_that_passes(client_of, site, room):
    data = {"kind": "weekly", "checked_on": today().isoformat(), **ALL_PASSED, "notes": ""}
    response = client_of(site.teacher_user).post(check_url(room), data, follow=True)
    assert "安全检查已记录：全部合格。" in response.content.decode()
    check = SafetyCheck.objects.get(space=room)
    assert check.passed and check.kind == "weekly" and check.checked_by == site.teacher_user


def test_a_failed_item_needs_a_note(client_of, site, room):
    data = {"kind": "pre_opening", "checked_on": today().isoformat(), **ALL_PASSED}
    del data["fire_extinguisher"]
    response = client_of(site.coordinator).post(check_url(room), data)
    assert "有不合格项：请写明哪里有问题、正在怎么处理。" in response.content.decode()
    assert not SafetyCheck.objects.exists()


def test_a_failed_check_is_saved_and_flagged(client_of, site, room):
    data = {
        "kind": "weekly",
        "checked_on": today().isoformat(),
        **ALL_PASSED,
        "notes": "灭火器过期，已通知行政部更换",
    }
    del data["fire_extinguisher"]
    response = client_of(site.teacher_user).post(check_url(room), data, follow=True)
    html = response.content.decode()
    assert "安全检查已记录。不合格：灭火器在有效期内。项目协调员会看到。" in html
    assert "不合格：灭火器在有效期内 — 灭火器过期，已通知行政部更换" in html
    assert not SafetyCheck.objects.get().passed


def test_a_check_cannot_be_dated_in_the_future(client_of, site, room):
    data = {"kind": "weekly", "checked_on": days(1).isoformat(), **ALL_PASSED}
    response = client_of(site.coordinator).post(check_url(room), data)
    assert "这个日期还没到。" in response.content.decode()
    assert not SafetyCheck.objects.exists()


@pytest.mark.parametrize("persona", ["hr", "manager"])
def test_hr_and_managers_do_not_record_checks(client_of, site, room, persona):
    data = {"kind": "weekly", "checked_on": today().isoformat(), **ALL_PASSED}
    assert client_of(getattr(site, persona)).post(check_url(room), data).status_code == 404
    assert not SafetyCheck.objects.exists()

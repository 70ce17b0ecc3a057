"""Shared phones (issue 12, item 6): the next person who picks up the phone sees
nothing of the family that applied before, while that family can still apply
for a second child through the explicit link."""

import re
import time
from html import unescape

import pytest
from django.core.cache import cache
from django.urls import reverse

from enrollment.models import Child, Enrollment

from .test_apply import url, valid


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def thanks_url(season):
    return reverse("enrollment:apply-thanks", args=[season.application_token])


def another_link(html: str) -> str:
    return unescape(re.search(r'href="([^"]*\?another=[^"]*)"', html).group(1))


PRIVATE = ("王秀英", "13812345678", "DG-2024-0815", "王小明")


def test_the_next_person_opening_the_form_sees_nothing_of_the_last_family(client, site):
    client.post(url(site.season), valid(site.season))
    form = client.get(url(site.season)).content.decode()
    for value in PRIVATE:
        assert value not in form, value


def test_the_thanks_page_shows_the_references_once_only(client, site):
    first = client.post(url(site.season), valid(site.season), follow=True).content.decode()
    reference = Enrollment.objects.get().reference
    assert "王小明" in first and reference in first
    again = client.get(thanks_url(site.season)).content.decode()
    assert "王小明" not in again and reference not in again


def test_the_apply_for_another_child_link_works_once(client, site):
    thanks = client.post(url(site.season), valid(site.season), follow=True).content.decode()
    link = another_link(thanks)
    assert 'value="王秀英"' in client.get(link).content.decode()
    # Someone replaying the link from the browser's history gets a blank form.
    replay = client.get(link).content.decode()
    for value in PRIVATE:
        assert value not in replay, value


def test_this_is_not_me_clears_the_details(client, site):
    thanks = client.post(url(site.season), valid(site.season), follow=True).content.decode()
    form = client.get(another_link(thanks)).content.decode()
    assert "这不是我" in form
    family = re.search(r'name="family" value="([^"]+)"', form).group(1)
    blank = client.post(url(site.season), {"not_me": "1"}, follow=True).content.decode()
    assert 'value="王秀英"' not in blank
    # The key of the cleared family no longer adds to its list.
    data = valid(site.season, worker_name="李四", employee_number="B200", child_name="李小红",
                 family=family)  # fmt: skip
    html = client.post(url(site.season), data, follow=True).content.decode()
    assert "李小红" in html and "王小明" not in html


def test_a_new_applicant_without_the_link_starts_a_new_list(client, site):
    client.post(url(site.season), valid(site.season))
    data = valid(site.season, worker_name="李四", employee_number="B200", child_name="李小红")
    html = client.post(url(site.season), data, follow=True).content.decode()
    assert "李小红" in html and "王小明" not in html
    assert Child.objects.count() == 2


def test_the_link_expires(client, site, monkeypatch):
    thanks = client.post(url(site.season), valid(site.season), follow=True).content.decode()
    later = time.time() + 16 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    form = client.get(another_link(thanks)).content.decode()
    assert 'value="王秀英"' not in form

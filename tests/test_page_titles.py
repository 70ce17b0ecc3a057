"""A page's <title> is plain text: the browser tab, history and bookmarks show it."""

import html
import re

import pytest
from django.urls import reverse

from .test_access_matrix import MATRIX, URLS, furnish, kwargs_for

TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def title_of(response) -> str:
    match = TITLE.search(response.content.decode())
    assert match, "no <title>"
    return match.group(1)


def test_the_child_page_title_is_the_childs_name(client_of, site):
    s = furnish(site)
    client = client_of(site.coordinator)
    url = reverse("enrollment:child-detail", args=[s.enrollment.child.pk])
    client.get(url)  # a first view, so the page has history to show
    title = title_of(client.get(url))
    assert "<" not in title and "\n" not in title
    assert title.startswith(html.escape(s.enrollment.child.name) + " · ")


def test_the_notification_log_title_is_plain(client_of, site):
    furnish(site)
    title = title_of(client_of(site.coordinator).get(reverse("notifications:notification-log")))
    assert "<" not in title and "\n" not in title
    assert title.startswith("已发邮件 · ")


@pytest.mark.parametrize(
    ("name", "kwarg_names"),
    [(n, k) for n, k in URLS if MATRIX[n][0] == "GET"],
    ids=[n for n, _ in URLS if MATRIX[n][0] == "GET"],
)
def test_no_page_title_holds_markup(client, site, superuser, name, kwarg_names):
    furnish(site)
    client.force_login(superuser)
    response = client.get(reverse(name, kwargs=kwargs_for(site, kwarg_names)))
    match = TITLE.search(response.content.decode(errors="replace"))
    if match:  # partials (htmx fragments) have no title
        assert "<" not in match.group(1), name

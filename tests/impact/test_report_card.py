"""The report card: sent once at close, the same figures on screen, in Excel and by email."""

import io
import re

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse

from factories.models import Role
from impact.indicators import GROUP_LABELS
from impact.report_card import card_rows, season_card
from impact.templatetags.impact_tags import en
from notifications.models import Notification
from notifications.report_cards import send_report_card
from notifications.tasks import send_notification

from ..builders import mark, member
from .conftest import answer, parent


@pytest.fixture
def answered(site):
    """Eight participants and six other parents, every one answering both rounds."""
    season = site.season
    for n in range(8):
        worker = parent(season, participant=True)
        answer(season, "baseline", worker, hours_alone=30 + n, trust_management="mostly")
        answer(season, "final", worker, carer_summer="space", hours_alone=10 + n,
               satisfied_space="satisfied" if n < 7 else "dissatisfied", space_safe="yes",
               teachers_professional="yes", trust_management="absolutely" if n < 6 else "mostly",
               stay_two_years="yes" if n < 5 else "no")  # fmt: skip
    for n in range(6):
        worker = parent(season, participant=False)
        answer(season, "baseline", worker, hours_alone=20)
        answer(season, "final", worker, hours_alone=18, stay_two_years="yes" if n < 3 else "no")
    return site


def close(client, site):
    return client.post(reverse("spaces:season-status", args=[site.season.pk]), {"status": "closed"})


def test_closing_a_season_queues_one_report_card_per_manager_and_coordinator(
    client_of, answered, django_capture_on_commit_callbacks
):
    site = answered
    second_manager = member(site.factory, Role.MANAGER)
    client = client_of(site.coordinator)
    with django_capture_on_commit_callbacks():
        close(client, site)
    cards = Notification.objects.filter(kind="report_card")
    assert sorted(n.recipient_id for n in cards) == sorted(
        [site.manager.pk, second_manager.pk, site.coordinator.pk]
    )
    # Closed twice (refused: already closed), and the job run again: nothing new.
    with django_capture_on_commit_callbacks():
        close(client, site)
    assert send_report_card(season=site.season) == 0
    assert Notification.objects.filter(kind="report_card").count() == 3
    # HR does not get it.
    assert not cards.filter(recipient=site.hr).exists()


def screen_figures(html: str) -> dict:
    """{(indicator, group): (baseline, final, change)} as the page shows them."""
    found = {}
    for key, row in re.findall(r'<tr data-indicator="(\w+)">(.*?)</tr>', html, re.S):
        for group, base, final, change in re.findall(
            r'data-group="(\w+)"><span data-round="baseline">(.*?)</span> → '
            r'<span data-round="final">(.*?)</span><br><strong data-change>(.*?)</strong>',
            row,
        ):
            found[(key, group)] = (base, final, change)
    return found


def as_text(value, unit: str, signed=False) -> str:
    """An Excel cell written as the page writes it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value.replace("<", "&lt;")
    number = f"{value:+g}" if signed else f"{value:g}"
    return number + ("%" if unit == "%" and not signed else "")


def test_the_screen_the_excel_file_and_the_email_show_the_same_numbers(
    client_of, answered, django_capture_on_commit_callbacks
):
    site = answered
    with django_capture_on_commit_callbacks():
        close(client_of(site.coordinator), site)
    client = client_of(site.manager)
    html = client.get(reverse("impact:report-card", args=[site.season.pk])).content.decode()
    screen = screen_figures(html)
    workbook = openpyxl.load_workbook(io.BytesIO(
        client.get(reverse("impact:report-card-export", args=[site.season.pk])).content
    ))  # fmt: skip
    sheet = [list(r) for r in workbook["Report card"].iter_rows(values_only=True)]
    note = Notification.objects.get(kind="report_card", recipient=site.manager)
    send_notification(note.pk)
    email = mail.outbox[-1]

    card = season_card(site.season)
    indicator_rows = [r for r in sheet if r[0] == "指标 / Indicator"]
    assert len(indicator_rows) == 8 * 3
    by_english = {r[2]: r for r in indicator_rows}
    checked = 0
    for row in card["rows"]:
        unit = row["indicator"].unit
        for group in ("participants", "others"):
            excel = by_english[f"{en(row['indicator'].label)} ({en(GROUP_LABELS[group])})"]
            base, final, change = excel[3:6]
            expected = (as_text(base, unit), as_text(final, unit),
                        as_text(change, unit, signed=True))  # fmt: skip
            assert screen[(row["indicator"].key, group)] == expected, row["indicator"].key
            # The email carries the same line as the sheet.
            line = f"{excel[1]} / {excel[2]}: {'' if base is None else base}"
            assert line in email.body
            checked += 1
    assert checked == 16
    # A few figures by hand: 6 of 8 participants absolutely trust management at the end.
    trust = next(
        r
        for r in indicator_rows
        if r[2] == "Workers who absolutely trust management (Participants)"
    )
    assert trust[3:6] == [0, 75, 75]
    hours = by_english["Hours a week without an adult (All workers)"]
    # (8 x 33.5 + 6 x 20) / 14 = 27.7 before, (8 x 13.5 + 6 x 18) / 14 = 15.4 after.
    assert hours[3:7] == [27.7, 15.4, -12.3, -12.3]
    assert "<table" in email.alternatives[0][0] and "75" in email.alternatives[0][0]


def test_a_small_factory_sees_every_survey_figure_suppressed(client_of, site):
    season = site.season
    for _ in range(3):
        worker = parent(season, participant=True)
        answer(season, "baseline", worker)
        answer(season, "final", worker)
    page = client_of(site.manager).get(reverse("impact:report-card", args=[season.pk]))
    figures = screen_figures(page.content.decode())
    assert figures and all(v == ("&lt;5", "&lt;5", "&lt;5") or v == ("—", "—", "—")
                           for v in figures.values())  # fmt: skip
    rows = card_rows(season_card(season))
    assert not any(isinstance(v, int | float) for r in rows if r[0] == "指标 / Indicator"
                   for v in r[3:])  # fmt: skip


def test_the_report_card_is_on_the_season_page_and_scoped(client_of, site, stranger):
    page = client_of(site.manager).get(reverse("spaces:season-detail", args=[site.season.pk]))
    assert reverse("impact:report-card", args=[site.season.pk]) in page.content.decode()
    page = client_of(site.teacher_user).get(reverse("spaces:season-detail", args=[site.season.pk]))
    assert reverse("impact:report-card", args=[site.season.pk]) not in page.content.decode()
    for name in ("impact:report-card", "impact:report-card-print", "impact:report-card-export"):
        assert client_of(stranger).get(reverse(name, args=[site.season.pk])).status_code == 404
    assert (
        client_of(site.teacher_user)
        .get(reverse("impact:report-card", args=[site.season.pk]))
        .status_code
        == 404
    )


def test_the_printable_page_is_one_a4_sheet_without_the_menu(client_of, site):
    page = client_of(site.manager).get(reverse("impact:report-card-print", args=[site.season.pk]))
    body = page.content.decode()
    assert (
        "report_card.css" in body and "navbar" not in body and 'data-testid="report-card"' in body
    )


def test_the_programme_card_pools_a_coordinators_factories_by_year(client_of, answered, other_site):
    site = answered
    # The coordinator also covers a second factory with one small season.
    from factories.models import Membership

    Membership.objects.create(user=site.coordinator, factory=other_site.factory, role="coordinator")
    for _ in range(2):
        answer(other_site.season, "baseline", parent(other_site.season, participant=False))
    year = site.season.start_date.year
    page = client_of(site.coordinator).get(reverse("impact:programme"), {"year": year})
    card = page.context["card"]
    assert {s.pk for s in card["seasons"]} == {site.season.pk, other_site.season.pk}
    # The small season's 2 answers are hidden on its own card, so they are left
    # out of the programme's figure: 16 - 14 would give them away.
    assert card["rates"]["baseline"]["others"].n == 6
    assert card["rates"]["baseline"]["participants"].n == 8
    assert card["left_out"] == 1
    rows = {(r["season"].pk, str(r["round"])): r["cells"] for r in card["by_season"]}
    assert "<5" in rows[(other_site.season.pk, "基线")]
    assert rows[(site.season.pk, "基线")] == ["8", "6", "14"]
    # The stranger's programme card does not include this factory.
    page = client_of(other_site.coordinator).get(reverse("impact:programme"), {"year": year})
    assert site.season.pk not in {s.pk for s in page.context["card"]["seasons"]}
    assert client_of(site.manager).get(reverse("impact:programme")).status_code == 404


def test_two_parents_of_one_child_and_siblings_are_one_family(site):
    from enrollment.models import Guardianship

    from ..builders import ChildBuilder, EnrollmentBuilder, WorkerBuilder

    mother, father, other = (WorkerBuilder(factory=site.factory) for _ in range(3))
    first = ChildBuilder(factory=site.factory, guardian=mother)
    Guardianship.objects.create(child=first, worker=father, relationship="father")
    sibling = ChildBuilder(factory=site.factory, guardian=father)
    for child in (first, sibling, ChildBuilder(factory=site.factory, guardian=other)):
        # Families are those of the children counted: the children who came.
        mark(EnrollmentBuilder(season=site.season, child=child, group=site.group),
             site.season.start_date)  # fmt: skip
    reach = {str(label): n for label, n, _text in season_card(site.season)["reach"]}
    assert reach.get("孩子", reach.get("Children")) == 3
    assert reach.get("家庭", reach.get("Families")) == 2

"""The report card: sent once at close, the same figures on screen, in Excel and by email."""

import datetime
import io
import re
from html import unescape

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from factories.models import Role, Worker
from impact.indicators import GROUP_LABELS, INDICATORS
from impact.models import FINAL_DAYS_AFTER_END
from impact.report_card import HEADER, season_card
from impact.templatetags.impact_tags import en
from notifications.models import Notification
from notifications.reminders import run_all
from notifications.report_cards import send_report_card
from notifications.tasks import send_notification

from ..builders import mark, member
from .conftest import TYPICAL, answer, parent, rounds_over


@pytest.fixture
def answered(site):
    """Eight participants and six other parents, every one answering both rounds;
    the season is over, and so are both its survey rounds."""
    season = site.season
    rounds_over(season)
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


def test_closing_a_season_before_its_final_round_is_over_sends_the_card_later(
    client_of, site, django_capture_on_commit_callbacks
):
    """The final round takes answers for a month after the end, and its figures
    are published once, when it is over: the card waits for them."""
    season = site.season
    season.end_date = timezone.localdate() - datetime.timedelta(days=3)
    season.save(update_fields=["end_date"])
    with django_capture_on_commit_callbacks():
        close(client_of(site.coordinator), site)
    assert not Notification.objects.filter(kind="report_card").exists()
    run_all(now=timezone.now() + datetime.timedelta(days=FINAL_DAYS_AFTER_END))
    assert Notification.objects.filter(kind="report_card").count() == 2
    run_all(now=timezone.now() + datetime.timedelta(days=FINAL_DAYS_AFTER_END + 1))
    assert Notification.objects.filter(kind="report_card").count() == 2


def screen_cells(html: str) -> dict:
    """{(indicator or "rate", group, column): text} as a page shows them."""
    cells = {}
    for key, row in re.findall(r'<tr data-indicator="(\w+)">(.*?)</tr>', html, re.S):
        for group, base, final, change, n_base, n_final in re.findall(
            r'data-group="(\w+)"><span data-round="baseline">(.*?)</span> → '
            r'<span data-round="final">(.*?)</span><br><strong data-change>(.*?)</strong> '
            r'<span class="text-muted">n=<span data-n="baseline">(.*?)</span>/'
            r'<span data-n="final">(.*?)</span>',
            row,
        ):
            for column, text in zip(COLUMNS, (base, final, change, n_base, n_final), strict=True):
                cells[(key, group, column)] = text
        paired, n_paired = re.search(
            r'<span data-paired>(.*?)</span>.*?<span data-n="paired">(.*?)</span>', row, re.S
        ).groups()
        cells[(key, "paired", "paired")], cells[(key, "paired", "n_paired")] = paired, n_paired
    for group, round_, text in re.findall(r'data-cell="rate:(\w+):(\w+)">(.*?)</td>', html):
        n, _sep, rate = text.partition(" (")
        cells[("rate", group, f"n_{round_}")] = n
        if rate:
            cells[("rate", group, round_)] = rate.rstrip(")")
    return {key: unescape(text) for key, text in cells.items()}


COLUMNS = ("baseline", "final", "change", "n_baseline", "n_final")
GROUPS_BY_LABEL = {en(GROUP_LABELS[g]): g for g in GROUP_LABELS} | {"Same workers": "paired"}
SHEET_COLUMNS = ("baseline", "final", "change", "paired", "n_baseline", "n_final", "n_paired")
SHEET_HEADER = HEADER[3:]


def sheet_cells(rows: list[list], unit_of: dict) -> dict:
    """The same keys, read from the sheet's (or the email's) rows: a number
    written as the page writes it, "—" and "<5" as they are."""
    cells = {}
    for row in rows[1:]:
        section, _zh, english, *values = (str(v) if v is not None else "" for v in row)
        raw = row[3:]
        if section == "指标 / Indicator":
            label, group = re.match(r"(.*) \((.*)\)$", english).groups()
            key, group = unit_of[label][0], GROUPS_BY_LABEL[group]
            unit = unit_of[label][1]
        elif section in ("回应数 / Answers", "回应率 / Response rate"):
            key, group, unit = "rate", GROUPS_BY_LABEL[english], "%"
        else:
            continue
        for column, value in zip(SHEET_COLUMNS, raw, strict=False):
            if value in ("", None):
                continue
            if isinstance(value, int | float) and not column.startswith("n_"):
                signed = column in ("change", "paired")
                value = (f"{value:+g}" if signed else f"{value:g}") + (
                    "%" if unit == "%" and not signed else ""
                )
            cells[(key, group, column)] = str(value)
    return cells


def email_rows(html: str) -> list[list[str]]:
    rows = [
        [
            unescape(re.sub(r"<.*?>", "", c)).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)
        ]
        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
    ]
    return [[_number(c) for c in r] for r in rows if len(r) > 3]


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def published_everywhere(client, site) -> dict:
    """Every survey cell the manager can reach, per format: the page, the
    printable page, the Excel file, the email (HTML and text)."""
    season = site.season
    html = client.get(reverse("impact:report-card", args=[season.pk])).content.decode()
    printed = client.get(reverse("impact:report-card-print", args=[season.pk])).content.decode()
    sheet = [list(r) for r in openpyxl.load_workbook(io.BytesIO(
        client.get(reverse("impact:report-card-export", args=[season.pk])).content
    ))["Report card"].iter_rows(values_only=True)]  # fmt: skip
    unit_of = {en(i.label): (i.key, i.unit) for i in INDICATORS}
    note = Notification.objects.filter(kind="report_card", recipient=site.manager).first()
    formats = {"page": screen_cells(html), "print": screen_cells(printed),
               "excel": sheet_cells(sheet, unit_of)}  # fmt: skip
    if note is not None:  # the message as the relay sends it
        mail.outbox.clear()
        send_notification(note.pk)
        email = mail.outbox[-1] if mail.outbox else None
        html_body, text = (email.alternatives[0][0], email.body) if email else (
            note.html_body, note.body)  # fmt: skip
        formats["email"] = sheet_cells(email_rows(html_body), unit_of)
        formats["email text"] = text_cells(text, unit_of)
    return formats


def text_cells(text: str, unit_of: dict) -> dict:
    """The plain-text email's cells: "zh / en: column value; column value"."""
    found = {}
    for zh_en, rest in re.findall(r"^(.+?): (.+)$", text, re.M):
        english = zh_en.split(" / ", 1)[-1]
        match = re.match(r"(.*) \((.*)\)$", english)
        if match and match.group(1) in unit_of:
            key, group = unit_of[match.group(1)][0], GROUPS_BY_LABEL[match.group(2)]
        elif english in GROUPS_BY_LABEL:
            key, group = "rate", GROUPS_BY_LABEL[english]
        else:
            continue
        for part in rest.split("; "):
            header = next(h for h in SHEET_HEADER if part.startswith(f"{h} "))
            found[(key, group, SHEET_COLUMNS[SHEET_HEADER.index(header)])] = part[len(header) + 1 :]
    return found


def test_the_page_print_excel_and_email_publish_the_same_cells(
    client_of, answered, django_capture_on_commit_callbacks
):
    site = answered
    with django_capture_on_commit_callbacks():
        close(client_of(site.coordinator), site)
    formats = published_everywhere(client_of(site.manager), site)
    page = formats["page"]
    assert len(page) == 8 * (2 * 5 + 2) + 3 * 4
    for name, cells in formats.items():
        assert cells == page, name
    # A few figures by hand: 6 of 8 participants absolutely trust management at the end.
    assert [page[("trust_management", "participants", c)] for c in COLUMNS] == [
        "0%",
        "75%",
        "+75",
        "8",
        "8",
    ]
    # (8 x 33.5 + 6 x 20) / 14 = 27.7 before, (8 x 13.5 + 6 x 18) / 14 = 15.4 after, same people.
    assert page[("hours_alone", "paired", "paired")] == "-12.3"
    assert page[("rate", "others", "n_final")] == "6"


def test_no_format_shows_a_cell_the_others_hide(
    client_of, site, django_capture_on_commit_callbacks
):
    """Seven participants and four other parents answer: the others are too few,
    so the participants are hidden too (11 - 4). The space's questions are
    answered by participants alone, so an all-workers figure there would be
    the participants' hidden one (n=7 against 11 answers), and so would the
    space's change among the same workers: no format has it."""
    season = site.season
    rounds_over(season)
    for taking_part in [True] * 7 + [False] * 4:
        worker = parent(season, participant=taking_part)
        used = {"satisfied_space": "satisfied", "space_safe": "yes"} if taking_part else {}
        answer(season, "baseline", worker, **used)
        answer(season, "final", worker, **used)
    with django_capture_on_commit_callbacks():
        close(client_of(site.coordinator), site)
    formats = published_everywhere(client_of(site.manager), site)
    assert set(formats) == {"page", "print", "excel", "email", "email text"}
    for name, cells in formats.items():
        assert cells == formats["page"], name
        assert "7" not in cells.values() and "4" not in cells.values(), name
        assert cells[("rate", "all", "n_final")] == "11"
    # The attacker's sums: every line is participants + others = all workers.
    for (key, group, column), text in formats["page"].items():
        if group == "participants" and column.startswith("n_") and text == "<5":
            assert formats["page"][(key, "others", column)] == "<5"


def test_a_small_factory_sees_every_survey_figure_suppressed(client_of, site):
    season = site.season
    rounds_over(season)
    for _ in range(3):
        worker = parent(season, participant=True)
        answer(season, "baseline", worker)
        answer(season, "final", worker)
    client = client_of(site.manager)
    cells = published_everywhere(client, site)["excel"]
    assert cells and set(cells.values()) <= {"<5", "—", "0"}


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


def test_a_differencing_attacker_learns_nothing_from_one_more_answer(
    client, client_of, site, django_capture_on_commit_callbacks
):
    """A manager downloads every format before and after one more answer, an
    erased worker, a worker taken off the roster and a newly enrolled child:
    while a round is open nothing of it is published, and once it is over its
    figures are kept, so every later publication is the same as the first."""
    season = site.season
    season.end_date = timezone.localdate() + datetime.timedelta(days=2)  # the final is open
    season.save(update_fields=["end_date"])
    workers = [parent(season, participant=n < 8) for n in range(14)]
    for n, worker in enumerate(workers[:-1]):
        answer(season, "baseline", worker, hours_alone=20 + n)
        answer(season, "final", worker, hours_alone=10 + n, trust_management="absolutely")
    manager = client_of(site.manager)
    before = published_everywhere(manager, site)
    assert before["page"][("hours_alone", "participants", "final")] == "—"
    assert before["page"][("hours_alone", "participants", "baseline")] != "—"
    # One more worker answers the open final round, through the public page.
    client.post(reverse("impact:survey", args=[season.application_token]),
                {**TYPICAL, "employee_number": workers[-1].employee_number,
                 "hours_alone": "40", "trust_management": "not_at_all"})  # fmt: skip
    assert published_everywhere(manager, site) == before

    # The final round is over: its figures are published once.
    rounds_over(season)
    with django_capture_on_commit_callbacks():
        close(client_of(site.coordinator), site)
    after = published_everywhere(manager, site)
    assert after["page"][("hours_alone", "participants", "final")] != "—"
    # Then a worker is erased, another leaves the roster, a child is enrolled.
    workers[0].guardianships.all().delete()
    workers[0].delete()
    Worker.objects.filter(pk=workers[9].pk).update(on_roster=False)
    parent(season, participant=True)
    assert published_everywhere(manager, site) == after

"""The report-card email once a season is closed and its final survey round
is over (the card itself is impact's).

The survey figures are published once, when their round is over (see
`impact.indicators.season_results`), and the final round takes answers for a
month after the season ends: an email at close would carry no final figures.
So the card goes when both are true: at the close when the round is already
over, else from the daily job (`run_all`) the day after the round ends.

Sent once per recipient and season: `notify` logs the message under the
idempotency key report_card:<user>:<season>, so a second close, a rerun of
the job or a retry creates nothing. At the close it runs inside the
transaction that closes the season (the signal is sent there), so the email
exists exactly when the close does; the message itself goes out after the commit.
"""

from __future__ import annotations

import datetime

from factories.models import staff_of
from factories.scoping import OVERSEERS
from impact.models import FINAL_DAYS_AFTER_END
from impact.report_card import card_lines, card_rows, season_card
from spaces.models import Season

from .outbox import notify

KIND = "report_card"


def send_report_card(*, season: Season) -> int:
    """Queue the season's report card for its managers and coordinators; returns
    how many messages were new. Safe to run any number of times."""
    card = season_card(season)
    rows = card_rows(card)
    # The same published cells as the page and the Excel file (impact.report_card.publication).
    context = {"season": season, "card": card, "header": rows[0], "rows": rows[1:],
               "lines": card_lines(rows)}  # fmt: skip
    sent = 0
    for user in staff_of(season.factory_id, *OVERSEERS):
        notification = notify(
            kind=KIND, user=user, key=f"{season.pk}", factory_id=season.factory_id,
            object_ref=f"spaces.season:{season.pk}", context=context,
        )  # fmt: skip
        sent += notification is not None
    return sent


def final_round_over(season: Season, today: datetime.date) -> bool:
    return today > season.end_date + datetime.timedelta(days=FINAL_DAYS_AFTER_END)


def report_cards_due(*, today: datetime.date) -> None:
    """The daily job: closed seasons whose final round ended in the last two weeks."""
    last_end = today - datetime.timedelta(days=FINAL_DAYS_AFTER_END + 1)
    for season in Season.objects.filter(
        status=Season.Status.CLOSED,
        end_date__range=(last_end - datetime.timedelta(days=14), last_end),
    ).select_related("factory"):
        send_report_card(season=season)

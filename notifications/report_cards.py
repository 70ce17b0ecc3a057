"""The report-card email at season close (the card itself is impact's).

Sent once per recipient and season: `notify` logs the message under the
idempotency key report_card:<user>:<season>, so a second close, a rerun of
the job or a retry creates nothing. It runs inside the transaction that
closes the season (the signal is sent there), so the email exists exactly
when the close does; the message itself goes out after the commit.
"""

from __future__ import annotations

from factories.models import staff_of
from factories.scoping import OVERSEERS
from impact.report_card import card_rows, season_card
from spaces.models import Season

from .outbox import notify

KIND = "report_card"


def send_report_card(*, season: Season) -> int:
    """Queue the season's report card for its managers and coordinators; returns
    how many messages were new. Safe to run any number of times."""
    card = season_card(season)
    rows = card_rows(card)
    context = {"season": season, "card": card, "header": rows[0], "rows": rows[1:]}
    sent = 0
    for user in staff_of(season.factory_id, *OVERSEERS):
        notification = notify(
            kind=KIND, user=user, key=f"{season.pk}", factory_id=season.factory_id,
            object_ref=f"spaces.season:{season.pk}", context=context,
        )  # fmt: skip
        sent += notification is not None
    return sent

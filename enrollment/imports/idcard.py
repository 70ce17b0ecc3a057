"""Birth date and sex from an 18-digit resident ID number (身份证号), which is never kept.

HR rosters often give a child's birth date only inside the ID number. The number
itself is the most sensitive thing in the sheet and we have no use for it, so it is
replaced, as soon as the file is read and before anything reaches the session, by
a token saying what it told us: `[ID 2018-05-03 M]`, or `[ID ✗]` when its check digit
(GB 11643-1999) or its date is wrong. Whichever column HR maps it to later, only
the token exists.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_DIGITS = "10X98765432"
TOKEN = re.compile(r"^\[ID (?:(\d{4}-\d\d-\d\d) ([MF])|✗)\]$")
INVALID = "[ID ✗]"


def facts(number: str) -> tuple[datetime.date, str]:
    """(birth date, "M" or "F") of a valid ID number; ValueError otherwise."""
    if not ID_NUMBER.match(number):
        raise ValueError(number)
    total = sum(int(digit) * weight for digit, weight in zip(number, WEIGHTS, strict=False))
    if CHECK_DIGITS[total % 11] != number[17]:
        raise ValueError(number)
    born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return born, "M" if int(number[16]) % 2 else "F"


def as_number(cell) -> str | None:
    """The cell's text when it is written like an 18-digit ID number, else None.
    A number typed as a number loses its last digits in Excel: its check fails."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if not isinstance(cell, str | int) or isinstance(cell, bool):
        return None
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(cell))).upper()
    return text if ID_NUMBER.match(text) else None


def redact(rows: list[list]) -> None:
    """Replace every ID number in the rows by its token, in place."""
    for row in rows:
        for index, cell in enumerate(row):
            number = as_number(cell)
            if number is None:
                continue
            try:
                born, sex = facts(number)
            except ValueError:
                row[index] = INVALID
            else:
                row[index] = f"[ID {born.isoformat()} {sex}]"


def read_token(text: str) -> tuple[datetime.date, str] | None:
    """What a token says; None for text that is no token; ValueError for an invalid number."""
    match = TOKEN.match(text)
    if match is None:
        return None
    if match.group(1) is None:
        raise ValueError(text)
    return datetime.date.fromisoformat(match.group(1)), match.group(2)

"""Form fields and input cleaners shared by the apps."""

import datetime
import re
import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _


class TickedRowsField(forms.ModelMultipleChoiceField):
    """Ticked rows by id; an id no database column can hold is an invalid value.

    Django guards `pk=` lookups against out-of-range integers but not `pk__in=`,
    which SQLite and PostgreSQL then refuse with a server error.
    """

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else []:
            if not str(pk).isdigit() or int(pk) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


PHONE = re.compile(r"^1[3-9][0-9]{9}$")
EMPLOYEE_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,40}$")
# Markup, control characters, and the bidi controls that make 王\u202e明小 show as 王小明.
FORBIDDEN = re.compile(r"[<>{}\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
# Spaces and the invisible characters text pasted from a chat app carries at its ends.
EDGES = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")


def strip_edges(value: str) -> str:
    return EDGES.sub("", value)


RESIDENT_ID = re.compile(r"^[1-9][0-9]{16}[0-9X]$")


def is_resident_id(value: str) -> bool:
    """An 18-character Chinese resident ID card number (its check digit is right)."""
    if not RESIDENT_ID.match(value):
        return False
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    total = sum(int(digit) * weight for digit, weight in zip(value, weights, strict=False))
    return "10X98765432"[total % 11] == value[-1]


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def plain_ascii(value: str) -> str:
    """Full-width letters and digits (a Chinese keyboard's full-width mode) as plain
    ones, and no spaces: what a badge or a phone number means, typed any way."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value))


def normalise_phone(value: str) -> str:
    """A phone as typed or pasted, without separators or +86: check it with PHONE."""
    return plain_ascii(value).replace("-", "").removeprefix("+86")


def normalise_employee_number(value: str) -> str:
    """An employee number as typed: check it with EMPLOYEE_NUMBER."""
    return plain_ascii(value).upper()


def clean_phone(value: str) -> str:
    phone = normalise_phone(value)
    if not PHONE.match(phone):
        raise forms.ValidationError(_("Enter an 11-digit mobile number, such as 13812345678."))
    return phone


def clean_plain(value: str) -> str:
    value = strip_edges(value)
    if FORBIDDEN.search(value):
        raise forms.ValidationError(_("Use letters and numbers only, without < > { }."))
    return value


# 2019-03-05, 2019/3/5, 2019.3.5, 2019年3月5日, 20190305: what people type in China
# (and a spreadsheet's midnight after it, as a date cell pasted as text carries).
WRITTEN_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0?0:00(?::00)?)?$"
    r"|^(\d{4})(\d{2})(\d{2})$",
    re.ASCII,
)


def parse_written_date(text: str) -> datetime.date | None:
    """A date as written by hand (full-width digits too), on the forms and in the
    roster import; None if it is not one."""
    match = WRITTEN_DATE.match(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups() if part is not None)
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


class WrittenDateField(forms.DateField):
    """A date field that also reads the ways a date is written in China.

    The date picker sends 2019-03-05; a browser without one (old phones, 360's IE
    mode) sends what was typed. Django's own zh-Hans format for 2019年3月5日 is
    broken (%n and %j are newline and day of the year)."""

    def to_python(self, value):
        if isinstance(value, str) and (written := parse_written_date(value)):
            return written
        return super().to_python(value)


class PlainCharField(forms.CharField):
    """A name-like field: trimmed, no markup characters."""

    def clean(self, value):
        value = super().clean(value)
        value = clean_plain(value) if value else value
        if not value and self.required:  # nothing visible was typed
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return value

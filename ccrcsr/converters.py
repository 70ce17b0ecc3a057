import datetime


class IsoDateConverter:
    """`<isodate:day>` in a URL: 2026-07-15. An impossible date is no match (404)."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> datetime.date:
        return datetime.date.fromisoformat(value)  # ValueError makes the URL not match

    def to_url(self, value: datetime.date) -> str:
        return value.isoformat()

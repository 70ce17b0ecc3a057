"""Production hardening visible in every response: CSP without inline code,
framing refused, no unescaped user text."""

import re
from pathlib import Path

from django.urls import reverse

from ..builders import enroll

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_pages_carry_a_strict_content_security_policy(client_of, site):
    response = client_of(site.hr).get(reverse("factories:home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_page_has_inline_script_or_style(client_of, site):
    enrollment = enroll(site.group)
    client = client_of(site.coordinator)
    urls = [
        reverse("factories:home"),
        reverse("spaces:season-detail", args=[site.season.pk]),
        reverse("attendance:roll-call-today", args=[site.group.pk]),
        reverse("attendance:sign-in-sheet", args=[site.group.pk, site.season.start_date]),
        reverse("enrollment:poster", args=[site.season.pk]),
        reverse("enrollment:applications", args=[site.season.pk]),
        reverse("enrollment:child-detail", args=[enrollment.child.pk]),
        reverse("enrollment:apply", args=[site.season.application_token]),
        reverse("login"),
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


def test_no_template_turns_escaping_off_except_the_generated_qr_code():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"\|safe|autoescape off|mark_safe", text):
            line = text[: match.start()].count("\n") + 1
            if "qr_svg|safe" not in text.splitlines()[line - 1]:
                offenders.append(f"{path.relative_to(TEMPLATES)}:{line}")
    assert offenders == []


def test_no_template_comment_spills_onto_the_page(client):
    # {# #} comments are one line only; a multi-line one is printed as text.
    html = client.get(reverse("login")).content.decode()
    assert "{#" not in html and "#}" not in html

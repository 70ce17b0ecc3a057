"""No browser or proxy keeps a copy of a page with people's data; static files stay cached."""

import pytest
from django.templatetags.static import static
from django.urls import reverse

from ..builders import enroll


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.fixture
def child_enrollment(site):
    return enroll(site.group)


def test_the_child_page_and_its_json_export_are_not_stored(client_of, site, child_enrollment):
    client = client_of(site.hr)
    child = child_enrollment.child
    page = client.get(reverse("enrollment:child-detail", args=[child.pk]))
    export = client.get(reverse("enrollment:child-export", args=[child.pk]))
    assert page.status_code == 200 and no_store(page)
    assert export.status_code == 200 and no_store(export)


def test_the_roll_call_and_the_sign_in_sheet_are_not_stored(client_of, site, child_enrollment):
    client = client_of(site.teacher_user)
    # Literal paths: these views are moving app, their paths stay.
    day = site.season.start_date.isoformat()
    roll_call = client.get(f"/groups/{site.group.pk}/roll-call/")
    sheet = client.get(f"/groups/{site.group.pk}/roll-call/{day}/sheet/")
    assert roll_call.status_code == 200 and no_store(roll_call)
    assert sheet.status_code == 200 and no_store(sheet)


def test_a_report_export_is_not_stored(client_of, site, child_enrollment):
    url = reverse("reports:season-export", args=[site.season.pk, "xlsx"])
    response = client_of(site.coordinator).get(url)
    assert response.status_code == 200 and no_store(response)


def test_every_signed_in_page_is_not_stored_even_a_redirect(client_of, site):
    client = client_of(site.manager)
    assert no_store(client.get(reverse("factories:home")))
    assert no_store(client.post(reverse("factories:set-language"), {"language": "en"}))


def test_the_public_form_and_its_thanks_page_are_not_stored(client, site):
    token = site.season.application_token
    assert no_store(client.get(reverse("enrollment:apply", args=[token])))
    assert no_store(client.get(reverse("enrollment:apply-thanks", args=[token])))


def test_static_files_keep_their_cache_for_a_signed_in_user(client_of, site, settings):
    # Served by WhiteNoise before any of our middleware, whatever DEBUG was at start.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = False
    response = client_of(site.hr).get(static("css/app.css"))
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "no-store" not in cache_control and "max-age=" in cache_control
    assert int(cache_control.split("max-age=")[1].split(",")[0]) > 0

"""Pickup codes (derived, stored only as a hash, renewed each season, revocable)
and people not allowed to pick up, as HR keeps them."""

import pytest
from django.urls import reverse

from factories.models import AuditEntry
from pickups import codes
from pickups.models import BarredPerson, PickupCode
from tests.builders import AuthorisedPickupBuilder, SeasonBuilder, enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(site):
    enrollment = enroll(site.group)
    AuthorisedPickupBuilder(child=enrollment.child, name="王奶奶")
    return enrollment.child


def test_each_guardian_and_pickup_person_gets_a_six_digit_code_kept_only_as_a_hash(site, child):
    rows = codes.issue(child=child, season=site.season)
    assert sorted(r.name for r in rows) == sorted([child.guardians.get().name, "王奶奶"])
    for row in rows:
        code = codes.code_of(row)
        assert len(code) == 6 and code.isdigit()
        assert code not in (row.code_hash, row.salt)
        assert codes.check(child_id=child.pk, season_id=site.season.pk, name=row.name, code=code)
    # Issuing again keeps the same codes.
    assert [codes.code_of(r) for r in codes.issue(child=child, season=site.season)] == [
        codes.code_of(r) for r in rows
    ]


def test_a_wrong_code_or_another_persons_code_is_refused(site, child):
    grandma, parent = sorted(
        codes.issue(child=child, season=site.season), key=lambda r: r.name != "王奶奶"
    )
    wrong = str((int(codes.code_of(grandma)) + 1) % 10**6).zfill(6)
    for name, code in [("王奶奶", wrong), ("王奶奶", codes.code_of(parent)), ("王奶奶", ""),
                       ("王奶奶", "12345x"), ("张三", codes.code_of(grandma))]:  # fmt: skip
        assert not codes.check(child_id=child.pk, season_id=site.season.pk, name=name, code=code)


def test_a_new_season_gives_new_codes_and_renewal_revokes_the_old(site, child):
    (row, *_rest) = codes.issue(child=child, season=site.season)
    old = codes.code_of(row)
    later = SeasonBuilder(factory=site.factory)
    (next_row, *_rest) = codes.issue(child=child, season=later)
    assert codes.code_of(next_row) != old
    fresh = codes.renew(row)
    assert codes.code_of(fresh) != old
    assert not codes.check(child_id=child.pk, season_id=site.season.pk, name=row.name, code=old)
    assert codes.check(
        child_id=child.pk, season_id=site.season.pk, name=row.name, code=codes.code_of(fresh)
    )


def test_hr_hands_out_codes_and_bars_a_person(client_of, site, child):
    client = client_of(site.hr)
    url = reverse("pickups:child-safety", args=[child.pk])
    html = client.get(url).content.decode()
    (row, *_rest) = PickupCode.objects.filter(child=child)
    assert codes.code_of(row) in html
    response = client.post(url, {"name": "李某", "note": "法院禁止令：不得接走，请立即通知协调员"})
    assert response.status_code == 302
    barred = BarredPerson.objects.get()
    assert barred.name == "李某" and barred.created_by == site.hr
    assert AuditEntry.objects.filter(model="pickups.barredperson").exists()
    assert client.post(url, {"name": "  "}).status_code == 422
    client.post(reverse("pickups:renew-code", args=[child.pk, row.pk]))
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_the_child_safety_page_is_scoped(client_of, site, other_site, child):
    (row, *_rest) = codes.issue(child=child, season=site.season)
    barred = BarredPerson.objects.create(child=child, name="李某")
    urls = [
        ("get", reverse("pickups:child-safety", args=[child.pk])),
        ("post", reverse("pickups:renew-code", args=[child.pk, row.pk])),
        ("post", reverse("pickups:unbar", args=[child.pk, barred.pk])),
    ]
    for user in (other_site.hr, other_site.coordinator, site.manager, site.teacher_user):
        client = client_of(user)
        for method, url in urls:
            assert getattr(client, method)(url).status_code == 404
    assert BarredPerson.objects.exists()
    row.refresh_from_db()
    assert row.revoked_at is None

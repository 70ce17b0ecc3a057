"""Pickup codes: six digits per person, child and season, never stored.

A code is derived from the site's secret key, the season, the child, the
person and a version: the parent page can show it (and its QR) again, a new
season gives new codes, and HR renews one by moving its version on. What is
stored is a salted SHA-256 hash, checked at the door; the roll call's page
carries the hashes of its children's codes so a phone offline can check a code
too. Six digits against a hash can be guessed by whoever holds the hash: it is
sent only to the group's teachers, like the pickup list itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from enrollment.models import AuthorisedPickup, Child, Guardianship

from .models import PickupCode

DIGITS = 6


def derive(*, season_id: int, child_id: int, holder: str, version: int) -> str:
    message = f"pickup:{season_id}:{child_id}:{holder}:{version}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**DIGITS).zfill(DIGITS)


def hash_code(code: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def holder_of(row: PickupCode) -> str:
    return f"w{row.worker_id}" if row.worker_id else f"p{row.pickup_id}"


def code_of(row: PickupCode) -> str:
    return derive(
        season_id=row.season_id, child_id=row.child_id, holder=holder_of(row), version=row.version
    )


def issue(*, child: Child, season) -> list[PickupCode]:
    """A code for each guardian and authorised pickup person of the child this
    season (those who have one keep it)."""
    people = [
        {"worker": g.worker, "name": g.worker.name}
        for g in Guardianship.objects.filter(child=child).select_related("worker")
    ] + [{"pickup": p, "name": p.name} for p in AuthorisedPickup.objects.filter(child=child)]
    rows = []
    with transaction.atomic():
        for person in people:
            holder = {k: v for k, v in person.items() if k != "name"}
            row = PickupCode.objects.filter(
                child=child, season=season, revoked_at__isnull=True, **holder
            ).first()
            if row is None:
                row = PickupCode(child=child, season=season, name=person["name"], **holder)
                _set_hash(row)
                row.save()
            rows.append(row)
    return rows


def _set_hash(row: PickupCode) -> None:
    row.salt = secrets.token_hex(8)
    row.code_hash = hash_code(code_of(row), row.salt)


def renew(row: PickupCode) -> PickupCode:
    """Revoke a code and give the person a new one (a lost card)."""
    with transaction.atomic():
        PickupCode.objects.filter(pk=row.pk).update(revoked_at=timezone.now())
        fresh = PickupCode(
            child_id=row.child_id, season_id=row.season_id, worker_id=row.worker_id,
            pickup_id=row.pickup_id, name=row.name, version=row.version + 1,
        )  # fmt: skip
        _set_hash(fresh)
        fresh.save()
    return fresh


def check(*, child_id: int, season_id: int, name: str, code: str) -> bool:
    """Whether `code` is the valid code of the person `name` for this child and season."""
    code = (code or "").strip()
    if not code.isdigit() or len(code) != DIGITS:
        return False
    rows = PickupCode.objects.filter(
        child_id=child_id, season_id=season_id, name=name, revoked_at__isnull=True
    )
    return any(hmac.compare_digest(hash_code(code, r.salt), r.code_hash) for r in rows)

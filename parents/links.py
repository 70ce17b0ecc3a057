"""The parent's link: signed, expiring, revocable, and the only key to the parent page.

The token signs (worker id, link version) with a timestamp: it cannot be
forged or pointed at another family, it stops working `PARENT_LINK_DAYS` after
it was made, and HR revokes every link given to a parent by moving the
contact's `link_version` on. Nothing is kept on the phone: the page sets no
cookie, is never cached (Cache-Control: no-store), and the service worker does
not keep it, so a shared phone holds nothing once the link has expired.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import ParentContact

SALT = "parents.link"


class LinkError(Exception):
    """Why a link opens nothing: 'expired', 'revoked' or 'invalid'."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


def token_for(contact: ParentContact) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object(
        [contact.worker_id, contact.link_version], compress=True
    )


def url_for(contact: ParentContact) -> str:
    path = reverse("parents:page", args=[token_for(contact)])
    return settings.SITE_URL.rstrip("/") + path if settings.SITE_URL else path


def contact_for(token: str) -> ParentContact:
    """The contact a token opens, or LinkError saying why not."""
    signer = signing.TimestampSigner(salt=SALT)
    max_age = datetime.timedelta(days=settings.PARENT_LINK_DAYS)
    try:
        worker_id, version = signer.unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise LinkError("expired") from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise LinkError("invalid") from error
    contact = (
        ParentContact.objects.select_related("worker__factory").filter(worker_id=worker_id).first()
    )
    if contact is None or contact.link_version != version:
        raise LinkError("revoked")
    return contact

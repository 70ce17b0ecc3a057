"""Every URL of the project, for every role, against docs/access-matrix.md.

The URL patterns come from the resolver, so a new view cannot be forgotten:
one missing from the table fails. Each is opened with the user's own
factory's objects (allowed or refused as the table says) and with another
factory's (404, except for the superuser), never a 500, and never with
another factory's data in the page.
"""

import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from attendance.models import Attendance
from factories.models import Role
from notifications.models import Notification
from spaces.models import Space, TeacherAssignment

from .builders import UserBuilder, enroll

TABLE = Path(__file__).resolve().parent.parent / "docs/access-matrix.md"
ROLES = ["anonymous", "hr", "teacher", "coordinator", "manager", "superuser"]

# Valid data for views that only take POST, so "allowed" means the action works.
POST_DATA = {
    "factories:set-language": {"language": "en", "next": "/"},
    "attendance:roll-call-mark": {"status": "present"},
    # The matrix's child is checked in: "absent" would be refused, "late" is taken.
    "parents:notice": {"kind": "late", "until": "23:59"},
    "pickups:call": {"number": "13700000000", "answered": "1"},
    "spaces:season-status": {"status": "closed"},
}
# Views that take a JSON body: a phone's queue of taps (empty: the access alone).
JSON_POST = {"attendance:roll-call-taps": {"taps": []}}


def read_table() -> dict[str, tuple[str, dict[str, str]]]:
    rows = {}
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 + len(ROLES) and cells[0] not in ("view", "---"):
            rows[cells[0]] = (cells[1], dict(zip(ROLES, cells[2:], strict=True)))
    return rows


def url_names(resolver=None, namespace="") -> list[tuple[str, list[str]]]:
    """Every named URL pattern outside the admin, with its keyword arguments."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            prefix = f"{pattern.namespace}:" if pattern.namespace else namespace
            found += url_names(pattern, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append((namespace + pattern.name, list(pattern.pattern.regex.groupindex)))
    return found


MATRIX = read_table()
URLS = url_names()


def test_every_url_is_in_the_table_and_every_row_is_a_url():
    names = {name for name, _kwargs in URLS}
    assert names - set(MATRIX) == set(), "views missing from docs/access-matrix.md"
    assert set(MATRIX) - names == set(), "rows for views that do not exist"


@pytest.fixture
def world(site, other_site):
    """Each site with an enrolled child checked in today, so every page has data."""
    for s in (site, other_site):
        furnish(s)
        s.enrollment.child.name = f"秘密孩子{s.factory.pk}"
        s.enrollment.child.save()
    return site, other_site


def furnish(s):
    """Give a site a child checked in today and a failed email: every URL has an object."""
    s.enrollment = enroll(s.group)
    Attendance.objects.create(
        enrollment=s.enrollment,
        group=s.group,
        date=timezone.localdate(),
        status="present",
        check_in_at=timezone.now(),
    )
    s.notification = Notification.objects.create(
        factory=s.factory,
        recipient=s.manager,
        email="m@example.com",
        kind="weekly_digest",
        idempotency_key=f"matrix:{s.factory.pk}",
        language="zh-hans",
        subject="周报",
        body="…",
        status=Notification.Status.FAILED,
    )
    return s


def kwargs_for(s, names: list[str]) -> dict:
    values = {
        "factory_id": s.factory.pk,
        "season_id": s.season.pk,
        "group_id": s.group.pk,
        "enrollment_id": s.enrollment.pk,
        "child_id": s.enrollment.child.pk,
        "day": timezone.localdate(),
        "token": s.season.application_token,
        "uidb64": "MQ",  # an invitation link that does not work: its page says so
        "fmt": "png",
        "export_format": "xlsx",
        "teacher_id": s.teacher.pk,
        "space_id": Space.objects.get_or_create(
            factory=s.factory, name="活动室", defaults={"capacity": 20, "area_m2": 60}
        )[0].pk,
        # 0 (a 404) once a test has removed it: the hostile-input test posts repeatedly.
        "assignment_id": TeacherAssignment.objects.filter(teacher=s.teacher)
        .values_list("pk", flat=True)
        .first()
        or 0,
        "notification_id": s.notification.pk,
        "user_id": s.hr.pk,
        **parent_ids(s),
        **pickup_ids(s),
        "record_id": Attendance.objects.filter(enrollment=s.enrollment)
        .values_list("pk", flat=True)
        .first()
        or 0,
        "concern_id": concern_of(s),
        **impact_ids(s),
    }
    missing = set(names) - set(values)
    assert not missing, f"tests/test_access_matrix.py: give a value for {missing}"
    return {name: values[name] for name in names}


def concern_of(s) -> int:
    """A concern about the site's child, raised by its teacher."""
    from safeguarding.models import Concern

    concern, _new = Concern.objects.get_or_create(
        factory=s.factory,
        child=s.enrollment.child,
        defaults={"raised_by": s.teacher_user, "category": "injury", "what": "手臂有淤青"},
    )
    return concern.pk


def impact_ids(s) -> dict:
    """A season question and one worker's survey answer of the site."""
    from impact.models import Question, Response, Survey

    survey = Survey.for_season(s.season)
    question, _new = Question.objects.get_or_create(
        season=s.season, key="matrix", defaults={"kind": "choice", "text_zh": "问", "text_en": "Q"}
    )
    response, _new = Response.objects.get_or_create(
        survey=survey, round="baseline", pseudonym="matrix", defaults={"language": "zh-hans"}
    )
    return {"question_id": question.pk, "response_id": response.pk}


def parent_ids(s) -> dict:
    """The guardian of the site's child, who agreed to be told, and their link."""
    from parents import links
    from parents.models import ParentContact

    worker = s.enrollment.child.guardians.get()
    contact, _new = ParentContact.objects.get_or_create(worker=worker, defaults={"consented": True})
    return {"worker_id": worker.pk, "parent_token": links.token_for(contact)}


def pickup_ids(s) -> dict:
    """A pickup code of the site's child and a person barred from taking them."""
    from pickups import codes
    from pickups.models import BarredPerson, PickupCode

    child = s.enrollment.child
    codes.issue(child=child, season=s.season)
    code = PickupCode.objects.filter(child=child, revoked_at__isnull=True).first()
    barred, _new = BarredPerson.objects.get_or_create(child=child, name="禁止接送")
    return {"code_id": code.pk, "barred_id": barred.pk}


def user_for(role, site):
    if role == "anonymous":
        return None
    if role == "superuser":
        return UserBuilder(is_superuser=True, is_staff=True)
    return {
        "hr": site.hr,
        "teacher": site.teacher_user,
        "coordinator": site.coordinator,
        "manager": site.manager,
    }[role]


def fetch(client, method, url, name):
    if method == "POST" and name in JSON_POST:
        return client.post(url, JSON_POST[name], content_type="application/json")
    if method == "POST":
        return client.post(url, POST_DATA.get(name, {}))
    return client.get(url)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "kwarg_names"), URLS, ids=[name for name, _ in URLS])
def test_the_matrix_holds(client, world, role, name, kwarg_names):
    site, other = world
    method, expected = MATRIX[name][0], MATRIX[name][1][role]
    user = user_for(role, site)
    if user is not None:
        client.force_login(user)
    own = fetch(client, method, reverse(name, kwargs=kwargs_for(site, kwarg_names)), name)
    assert own.status_code < 500
    if expected == "public":
        assert own.status_code < 400, own.status_code
    elif expected == "yes":
        assert own.status_code in (200, 302) and not is_login_redirect(own), own.status_code
    elif expected == "login":
        assert is_login_redirect(own), own.status_code
    else:
        assert own.status_code in (403, 404, 422), own.status_code
    if own.status_code == 200 and own.get("Content-Type", "").startswith("text/html"):
        body = own.content.decode()
        assert other.enrollment.child.name not in body
        assert other.factory.name_zh not in body or role == "superuser"

    if not kwarg_names or expected == "public":
        return
    if user is not None:
        client.force_login(user)
    foreign = fetch(client, method, reverse(name, kwargs=kwargs_for(other, kwarg_names)), name)
    if role == "superuser":
        assert foreign.status_code < 500
    elif role == "anonymous":
        assert is_login_redirect(foreign)
    else:
        assert foreign.status_code == 404, foreign.status_code


def test_roles_in_the_table_are_the_products_roles():
    assert set(ROLES) - {"anonymous", "superuser"} == set(Role.values)
    assert all(re.fullmatch(r"[a-z]+(:[a-z-]+)?", name) for name in MATRIX)

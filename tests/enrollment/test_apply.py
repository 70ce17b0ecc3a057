"""The public application form a worker fills in on a phone."""

import datetime
import re
from html import unescape as html_unescape

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrollment.models import Child, Consent, Enrollment, ProposedChange
from factories.models import Worker

from ..builders import ChildBuilder, WorkerBuilder


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def url(season):
    return reverse("enrollment:apply", args=[season.application_token])


def valid(season, **overrides):
    start = season.start_date
    data = {
        "employee_number": "dg-2024-0815",
        "worker_name": "王秀英",
        "relationship": "mother",
        "phone": "138 1234 5678",
        "child_name": "王小明",
        "sex": "M",
        "date_of_birth": start.replace(year=start.year - 8).isoformat(),
        "home_province": "sichuan",
        "lives_with": "grandparents",
        "arrival_date": start.isoformat(),
        "departure_date": season.end_date.isoformat(),
        "allergies": "花生",
        "medical_notes": "",
        "pickup_name": "王奶奶",
        "pickup_relationship": "grandparent",
        "pickup_phone": "13900001111",
        "consent_data": "on",
        "consent_photos": "on",
    }
    data.update(overrides)
    return data


def test_a_worker_applies_without_logging_in_and_gets_a_reference(client, site):
    response = client.post(url(site.season), valid(site.season), follow=True)
    enrollment = Enrollment.objects.get()
    assert enrollment.status == "applied" and enrollment.created_by is None
    assert enrollment.reference in response.content.decode()
    worker = Worker.objects.get()
    assert (worker.employee_number, worker.phone) == ("DG-2024-0815", "13812345678")
    child = enrollment.child
    assert child.factory == site.factory and child.allergies == "花生"
    assert list(child.guardians.all()) == [worker]
    assert child.pickups.get().name == "王奶奶"
    kinds = set(enrollment.consents.values_list("kind", flat=True))
    assert kinds == {Consent.Kind.DATA_PROCESSING, Consent.Kind.PHOTOS}


def test_the_form_is_chinese_first_and_consents_start_unticked(client, site):
    html = client.get(url(site.season)).content.decode()
    assert "为您的孩子申请名额" in html
    # Three consents and "tell me by SMS", none ticked: each is the parent's choice.
    assert html.count('type="checkbox"') == 4
    assert "checked" not in html


def test_a_second_child_reuses_the_workers_details_through_the_link(client, site):
    thanks = client.post(url(site.season), valid(site.season), follow=True).content.decode()
    another = re.search(r'href="([^"]*\?another=[^"]*)"', thanks).group(1)
    form = client.get(html_unescape(another)).content.decode()
    assert 'value="王秀英"' in form
    family = re.search(r'name="family" value="([^"]+)"', form).group(1)
    data = valid(site.season, child_name="王小红", sex="F", family=family)
    html = client.post(url(site.season), data, follow=True).content.decode()
    assert "王小明" in html and "王小红" in html
    assert Worker.objects.count() == 1 and Child.objects.count() == 2


def test_applying_twice_for_the_same_child_does_not_duplicate(client, site):
    client.post(url(site.season), valid(site.season))
    client.post(url(site.season), valid(site.season))
    assert Enrollment.objects.count() == 1 and Child.objects.count() == 1


def test_the_thanks_page_shows_nothing_of_other_applicants(client, site, django_user_model):
    from django.test import Client

    Client().post(url(site.season), valid(site.season))
    html = client.get(
        reverse("enrollment:apply-thanks", args=[site.season.application_token])
    ).content.decode()
    assert "王小明" not in html and Enrollment.objects.get().reference not in html


def test_an_unknown_link_answers_404(client, site):
    assert client.get("/apply/not-a-token/").status_code == 404


def test_a_closed_season_takes_no_application(client, site):
    site.season.status = "closed"
    site.season.save()
    response = client.post(url(site.season), valid(site.season))
    assert response.status_code == 410
    assert not Enrollment.objects.exists()


def worker(n: int) -> dict:
    """The details one worker of many types: their own number and phone."""
    return {"employee_number": f"W{n:04d}", "phone": f"1390000{n:04d}", "child_name": f"孩子{n}"}


def test_many_phones_behind_the_factorys_one_address_can_all_apply(client, site):
    """The factory Wi-Fi (or the carrier) puts every worker's phone behind one
    address: its limit is far higher than one worker's."""
    from django.test import Client

    for n in range(30):
        phone = Client()
        phone.get(url(site.season))  # the form sets the phone's CSRF cookie
        response = phone.post(url(site.season), valid(site.season, **worker(n)))
        assert response.status_code == 302, n
    assert Enrollment.objects.count() == 30


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("employee_number", "", "这个字段是必填项"),
        ("employee_number", "工号!", "工牌"),
        ("employee_number", "11010519491231002X", "身份证号"),  # sensitive: not stored
        ("worker_name", "<script>alert(1)</script>", "不能有 &lt; &gt; { } 等符号"),
        ("worker_name", "名" * 51, "50"),
        ("child_name", "\u200b\ufeff", "这个字段是必填项"),  # invisible, pasted from a chat
        ("child_name", "王\u202e明小", "不能有"),  # right-to-left override: shows 王小明
        ("phone", "12345", "11 位手机号"),
        ("child_name", "长" * (5 * 1024 * 1024 // 3), "50"),
        ("sex", "X", "选择一个有效的选项"),
        ("date_of_birth", "2099-01-01", "不能是将来"),
        ("date_of_birth", "31/02/2020", "输入一个有效的日期"),
        ("date_of_birth", "2024-01-01", "本期接收"),
        ("date_of_birth", "1990-01-01", "本期接收"),
        ("home_province", "atlantis", "选择一个有效的选项"),
        ("lives_with", "", "这个字段是必填项"),
        ("departure_date", "2000-01-01", "离开日期不能早于到达日期"),
        ("arrival_date", "2099-01-01", "离开日期不能早于到达日期"),
        ("pickup_phone", "call me", "11 位手机号"),
        ("pickup_relationship", "", "与孩子的关系"),
        ("consent_data", "", "没有这项同意"),
    ],
)
def test_bad_input_is_shown_on_its_field_and_nothing_is_saved(client, site, field, value, message):
    data = valid(site.season, **{field: value})
    if value == "":
        data.pop(field)
    response = client.post(url(site.season), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html, field
    assert "is-invalid" in html
    assert not Enrollment.objects.exists() and not Worker.objects.exists()


def test_stay_outside_the_season_is_refused(client, site):
    after = site.season.end_date + datetime.timedelta(days=5)
    data = valid(
        site.season,
        arrival_date=after.isoformat(),
        departure_date=(after + datetime.timedelta(days=3)).isoformat(),
    )
    assert "请选择项目期内的日期" in client.post(url(site.season), data).content.decode()
    assert not Enrollment.objects.exists()


def test_free_text_with_markup_is_stored_as_text_and_shown_escaped(client_of, site):
    from django.test import Client

    Client().post(url(site.season), valid(site.season, allergies="<b>花生</b><script>x()</script>"))
    child = Child.objects.get()
    html = client_of(site.hr).get(reverse("enrollment:child-detail", args=[child.pk]))
    body = html.content.decode()
    assert "<script>x()" not in body and "&lt;script&gt;x()" in body


def test_an_existing_worker_is_matched_by_employee_number(client, site):
    worker = WorkerBuilder(factory=site.factory, employee_number="A100", name="李四")
    client.post(url(site.season), valid(site.season, employee_number="a100", worker_name="李四"))
    assert Enrollment.objects.get().child.guardians.get() == worker


@pytest.mark.parametrize(
    "number, phone",
    [
        ("ａ１００", "１３８１２３４５６７８"),  # a Chinese keyboard in full-width mode
        ("A100", "138１２３４５６７８"),  # half switched: passed, stored full-width
        (" A 100 ", "+86 138-1234-5678"),
    ],
)
def test_full_width_digits_and_letters_are_read_as_plain_ones(client, site, number, phone):
    worker = WorkerBuilder(factory=site.factory, employee_number="A100", name="李四")
    response = client.post(
        url(site.season),
        valid(site.season, employee_number=number, phone=phone, worker_name="李四"),
    )
    assert response.status_code == 302
    assert Enrollment.objects.get().child.guardians.get() == worker
    # A registered worker's phone is only proposed (see test_public_requests).
    assert ProposedChange.objects.get(field="phone").value == "13812345678"


def test_invisible_characters_around_a_name_are_dropped(client, site):
    client.post(url(site.season), valid(site.season, child_name="\ufeff王小明\u200b"))
    client.post(url(site.season), valid(site.season))
    assert list(Child.objects.values_list("name", flat=True)) == ["王小明"]


@pytest.mark.parametrize(
    "written",
    ["2018/3/5", "2018.3.5", "2018年3月5日", "20180305", "２０１８－０３－０５", " 2018-03-05 "],
)
def test_a_date_typed_where_the_browser_has_no_date_picker_is_read(client, site, written):
    """Old browsers (and 360's IE mode at the HR desk) show a text box for a date."""
    site.season.start_date = datetime.date(2026, 7, 6)
    site.season.save()
    response = client.post(url(site.season), valid(site.season, date_of_birth=written))
    assert response.status_code == 302
    assert Child.objects.get().date_of_birth == datetime.date(2018, 3, 5)


text = st.text(max_size=60)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            name: text
            for name in (
                "employee_number",
                "worker_name",
                "relationship",
                "phone",
                "child_name",
                "sex",
                "date_of_birth",
                "home_province",
                "lives_with",
                "arrival_date",
                "departure_date",
                "allergies",
                "medical_notes",
                "pickup_name",
                "pickup_relationship",
                "pickup_phone",
                "consent_data",
            )
        },
    )  # fmt: skip
)
def test_random_input_never_causes_a_server_error(client, site, data):
    cache.clear()
    clean = {k: v.replace("\x00", "") for k, v in data.items()}
    response = client.post(url(site.season), clean)
    assert response.status_code in (200, 302)


def test_allergies_given_for_a_child_already_registered_wait_for_hr(client, site):
    """A child the roster import registered (no health notes) is matched by the
    application; the allergy the parent declares is proposed to HR, who adds it
    to the record (see test_public_requests), never replacing what is held."""
    worker = WorkerBuilder(factory=site.factory, employee_number="DG-2024-0815", name="王秀英")
    start = site.season.start_date
    child = ChildBuilder(
        factory=site.factory, name="王小明", guardian=worker, allergies="青霉素",
        date_of_birth=start.replace(year=start.year - 8),
    )  # fmt: skip
    client.post(url(site.season), valid(site.season, medical_notes="哮喘，随身带喷雾"))
    child.refresh_from_db()
    assert Enrollment.objects.get().child == child
    assert (child.allergies, child.medical_notes) == ("青霉素", "")
    proposed = dict(ProposedChange.objects.values_list("field", "value"))
    assert proposed["allergies"] == "花生" and proposed["medical_notes"] == "哮喘，随身带喷雾"
    # Applying again with the same words proposes nothing more.
    client.post(url(site.season), valid(site.season, medical_notes="哮喘，随身带喷雾"))
    assert ProposedChange.objects.filter(field__in=["allergies", "medical_notes"]).count() == 2

"""Finding people (issue 13, items 7-8): search from the review list and from the
top of every HR page, and a paged review list that keeps filters and ticks."""

import re

from django.urls import reverse

from enrollment.models import Enrollment
from factories.models import Worker

from ..builders import ChildBuilder, EnrollmentBuilder, WorkerBuilder, consent_all


def search(client, q):
    return client.get(reverse("enrollment:search"), {"q": q}).content.decode()


def applicant(season, *, child="王小明", parent="王秀英", number=None, phone="13812345678"):
    worker = WorkerBuilder(factory=season.factory, name=parent, phone=phone,
                           **({"employee_number": number} if number else {}))  # fmt: skip
    enrollment = EnrollmentBuilder(
        season=season, status="applied", child=ChildBuilder(factory=season.factory, name=child,
                                                            guardian=worker),
    )  # fmt: skip
    consent_all(enrollment)
    return enrollment


def names(html):
    return set(re.findall(r'class="fw-semibold">([^<]+)<', html))


def test_hr_finds_an_application_by_each_way_hr_knows_it(client_of, site):
    target = applicant(site.season, number="A100", phone="13812345678")
    applicant(site.season, child="李小红", parent="李四", number="B200", phone="13900001111")
    hr = client_of(site.hr)
    # The last two full-width, as a Chinese keyboard in full-width mode types them.
    for q in ("小明", "秀英", target.reference, target.reference.lower(), "a100", "5678",
              "1381234", "138 1234 5678", "５６７８", "ａ１００"):  # fmt: skip
        assert names(search(hr, q)) == {"王小明"}, q


def test_children_registered_without_an_application_are_found_too(client_of, site, other_site):
    worker = WorkerBuilder(factory=site.factory, name="李四", phone="13900004321")
    ChildBuilder(factory=site.factory, name="李小红", guardian=worker)
    stranger = WorkerBuilder(factory=other_site.factory, phone="13700004321")
    ChildBuilder(factory=other_site.factory, name="别厂的孩子", guardian=stranger)
    html = search(client_of(site.hr), "4321")
    assert "李小红" in html and "别厂的孩子" not in html


def test_fewer_than_four_digits_do_not_search_phones(client_of, site):
    applicant(site.season, phone="13812345678")
    assert names(search(client_of(site.hr), "678")) == set()


def test_search_sees_only_the_users_factories(client_of, site, other_site):
    applicant(site.season, child="王小明")
    applicant(other_site.season, child="王小明的表妹", phone="13812345678")
    html = search(client_of(site.hr), "5678")
    assert names(html) == {"王小明"}
    assert "表妹" not in html


def test_teachers_and_managers_have_no_search(client_of, site):
    applicant(site.season)
    for user in (site.teacher_user, site.manager):
        assert client_of(user).get(reverse("enrollment:search"), {"q": "王"}).status_code == 404
        home = client_of(user).get(reverse("factories:home")).content.decode()
        assert 'role="search"' not in home


def test_the_search_box_is_on_every_hr_page(client_of, site):
    for user in (site.hr, site.coordinator):
        home = client_of(user).get(reverse("factories:home")).content.decode()
        assert f'action="{reverse("enrollment:search")}"' in home


def test_the_review_list_searches_within_its_season(client_of, site):
    applicant(site.season, child="王小明", phone="13812345678")
    applicant(site.season, child="李小红", parent="李四", phone="13900001111")
    url = reverse("enrollment:applications", args=[site.season.pk])
    html = client_of(site.hr).get(url, {"q": "1111"}).content.decode()
    assert names(html) == {"李小红"}


def test_a_search_result_shows_the_phone_as_a_tap_to_call_link(client_of, site):
    applicant(site.season, phone="13812345678")
    assert 'href="tel:13812345678"' in search(client_of(site.hr), "王小明")


def test_bad_search_input_is_not_a_server_error(client_of, site):
    hr = client_of(site.hr)
    for q in ("", " ", "%", "_", "x" * 500, "\\", "'; drop table"):
        assert hr.get(reverse("enrollment:search"), {"q": q}).status_code == 200


# --- paging ---


def review_url(season):
    return reverse("enrollment:applications", args=[season.pk])


def many(season, n):
    return [applicant(season, child=f"孩子{i:02d}", phone=f"139{i:08d}") for i in range(n)]


def test_the_review_list_is_paged_and_keeps_its_filters(client_of, site):
    many(site.season, 30)
    hr = client_of(site.hr)
    first = hr.get(review_url(site.season), {"status": "applied"}).content.decode()
    assert len(names(first)) == 25 and "共 30 份申请" in first
    # The page buttons post the ticks and come back with the filters.
    response = hr.post(review_url(site.season) + "?status=applied", {"goto": "2"})
    assert response.status_code == 302
    assert "status=applied" in response.url and "page=2" in response.url
    second = hr.get(response.url).content.decode()
    assert len(names(second)) == 5


def test_ticks_survive_paging_and_the_bulk_action_takes_them_all(client_of, site):
    rows = many(site.season, 30)
    site.group.capacity = 100
    site.group.save()
    hr = client_of(site.hr)
    # Tick two children on page 1, go to page 2, tick one more there, enroll.
    page_one = sorted(rows, key=lambda e: (e.applied_at, e.pk))[:25]
    page_two = sorted(rows, key=lambda e: (e.applied_at, e.pk))[25:]
    ticked = [page_one[0].pk, page_one[3].pk]
    response = hr.post(review_url(site.season), {"goto": "2", "selected": ticked})
    second = hr.get(response.url).content.decode()
    for pk in ticked:
        assert f'type="hidden" name="selected" value="{pk}"' in second
    assert "已勾选 2 个" in second
    data = {"selected": [*ticked, page_two[0].pk], "action": "enroll", "apply": "1"}
    hr.post(response.url, data)
    enrolled = set(Enrollment.objects.filter(status="enrolled").values_list("pk", flat=True))
    assert enrolled == {*ticked, page_two[0].pk}
    # Going back to page 1 after the action: the ticks are cleared.
    back = hr.post(review_url(site.season), {"goto": "1"})
    assert "已勾选" not in hr.get(back.url).content.decode()


def test_a_fresh_visit_starts_with_nothing_ticked(client_of, site):
    rows = many(site.season, 3)
    hr = client_of(site.hr)
    hr.post(review_url(site.season), {"goto": "1", "selected": [rows[0].pk]})
    assert "已勾选" not in hr.get(review_url(site.season)).content.decode()


def test_ticked_ids_of_another_factory_are_refused(client_of, site, other_site):
    mine = applicant(site.season)
    theirs = applicant(other_site.season, child="别厂的孩子")
    hr = client_of(site.hr)
    response = hr.post(review_url(site.season), {"goto": "1", "selected": [theirs.pk, "x"]})
    html = hr.get(response.url).content.decode()
    data = {"selected": [mine.pk, theirs.pk], "action": "decline", "reason": "名额已满"}
    hr.post(review_url(site.season), data)
    theirs.refresh_from_db()
    assert theirs.status == "applied"
    assert "别厂的孩子" not in html and f'value="{theirs.pk}"' not in html


def test_the_list_does_not_query_per_row(client_of, site, django_assert_max_num_queries):
    many(site.season, 30)
    client = client_of(site.hr)
    # session, user, season, submissions (bursts), groups (filter, action), count,
    # enrollments, consents, guardians with their workers, nav + 2: the session is
    # saved (idle timeout)
    with django_assert_max_num_queries(14):
        html = client.get(review_url(site.season), {"page": "2"}).content.decode()
    assert len(names(html)) == 5


def test_an_unknown_page_shows_the_last_one(client_of, site):
    many(site.season, 30)
    hr = client_of(site.hr)
    for page in ("99", "x", "-1"):
        assert hr.get(review_url(site.season), {"page": page}).status_code == 200
    assert hr.post(review_url(site.season), {"goto": "x"}, follow=True).status_code == 200


def test_worker_and_child_pages_have_tap_to_call_links(client_of, site):
    enrollment = applicant(site.season, phone="13812345678")
    hr = client_of(site.hr)
    child_page = hr.get(reverse("enrollment:child-detail", args=[enrollment.child_id]))
    assert 'href="tel:13812345678"' in child_page.content.decode()
    workers = hr.get(reverse("factories:workers", args=[site.factory.pk])).content.decode()
    assert 'href="tel:13812345678"' in workers
    assert 'href="tel:13812345678"' in hr.get(review_url(site.season)).content.decode()
    assert Worker.objects.count() == 1


def test_search_does_not_query_per_result(client_of, site, django_assert_max_num_queries):
    for i in range(20):
        applicant(site.season, child=f"王{i}", phone=f"1391234{i:04d}")
    client = client_of(site.hr)
    # session, user, membership check, enrollments, consents, guardians with workers,
    # registered children, nav + 3: the session is saved in a savepoint (idle timeout)
    with django_assert_max_num_queries(11):
        html = search(client, "1391234")
    assert len(names(html)) == 20

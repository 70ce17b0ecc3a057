from django.urls import reverse

from factories.models import Worker

from ..builders import WorkerBuilder


def url(factory):
    return reverse("factories:workers", args=[factory.pk])


def test_hr_registers_a_worker(client_of, site):
    data = {"employee_number": "dg-001", "name": "刘强", "phone": "13900001111", "shift": "day"}
    client_of(site.hr).post(url(site.factory), data)
    worker = Worker.objects.get()
    assert (worker.factory, worker.employee_number) == (site.factory, "DG-001")


def test_bad_input_shows_on_the_form_and_saves_nothing(client_of, site):
    WorkerBuilder(factory=site.factory, employee_number="DG-001")
    for data, message in (
        ({"employee_number": "dg-001", "name": "刘强"}, "已登记"),
        ({"employee_number": "!!", "name": "刘强"}, "工牌"),
        ({"employee_number": "X1", "name": "<b>刘强</b>"}, "不能有"),
        ({"employee_number": "X1", "name": "刘强", "phone": "123"}, "11 位手机号"),
    ):
        html = client_of(site.hr).post(url(site.factory), data).content.decode()
        assert message in html
    assert Worker.objects.count() == 1


def test_the_list_is_scoped_to_hr_and_coordinators_of_the_factory(client_of, site, stranger):
    WorkerBuilder(factory=site.factory, name="刘强")
    assert "刘强" in client_of(site.hr).get(url(site.factory)).content.decode()
    for user in (stranger, site.manager, site.teacher_user):
        assert client_of(user).get(url(site.factory)).status_code == 404


def test_the_list_uses_a_fixed_number_of_queries(client_of, site, django_assert_max_num_queries):
    for _ in range(30):
        WorkerBuilder(factory=site.factory)
    client = client_of(site.hr)
    # + 2: the session is saved on each request (idle timeout)
    with django_assert_max_num_queries(9):
        client.get(url(site.factory))

"""Importing workers and children from Excel or CSV: preview, problems, confirm."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrollment.imports import COLUMNS
from enrollment.models import Child, Enrollment
from factories.models import Worker

from ..builders import WorkerBuilder

HEADER = [zh for _key, zh, _en, _required in COLUMNS]


def row(**values):
    defaults = {
        "工号": "A100", "家长姓名": "王秀英", "与孩子关系": "母亲", "家长手机": "13812345678",
        "孩子姓名": "王小明", "性别": "男", "出生日期": "2018-05-03", "老家省份": "四川",
        "平时和谁生活": "爷爷奶奶/外公外婆",
    }  # fmt: skip
    defaults.update(values)
    return [defaults.get(column, "") for column in HEADER]


def xlsx(rows) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    for r in [HEADER, *rows]:
        workbook.active.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("people.xlsx", buffer.getvalue())


def csv_file(rows, encoding="utf-8") -> SimpleUploadedFile:
    text = "\n".join(",".join(str(c) for c in r) for r in [HEADER, *rows])
    return SimpleUploadedFile("people.csv", text.encode(encoding))


def url(factory):
    return reverse("enrollment:import", args=[factory.pk])


def upload(client, factory, file, **extra):
    return client.post(url(factory), {"file": file, **extra})


def confirm(client, factory):
    return client.post(url(factory), {"confirm": "1"}, follow=True)


def test_a_valid_sheet_is_previewed_then_saved_on_confirm(client_of, site):
    hr = client_of(site.hr)
    response = upload(hr, site.factory, xlsx([row(), row(孩子姓名="王小红", 性别="女")]))
    assert "文件没有问题" in response.content.decode()
    assert not Worker.objects.exists() and not Child.objects.exists()
    confirm(hr, site.factory)
    worker = Worker.objects.get()
    assert worker.employee_number == "A100"
    assert {c.name for c in Child.objects.filter(guardians=worker)} == {"王小明", "王小红"}
    assert Child.objects.get(name="王小红").sex == "F"


def test_children_can_be_entered_as_applications_to_a_season(client_of, site):
    hr = client_of(site.hr)
    upload(hr, site.factory, xlsx([row()]), season=site.season.pk)
    confirm(hr, site.factory)
    enrollment = Enrollment.objects.get()
    assert enrollment.status == "applied" and enrollment.season == site.season


def test_a_gbk_csv_is_read(client_of, site):
    hr = client_of(site.hr)
    response = upload(hr, site.factory, csv_file([row()], encoding="gbk"))
    assert "文件没有问题" in response.content.decode()
    confirm(hr, site.factory)
    assert Child.objects.get().name == "王小明"


def test_every_problem_is_listed_per_row_and_nothing_is_saved(client_of, site):
    rows = [
        row(出生日期="2018-02-30"),
        row(工号="B999", 家长姓名=""),
        row(孩子姓名="李四", 出生日期="2099-01-01"),
        row(孩子姓名="周八"),
        row(孩子姓名="周八"),  # the same child again
        row(孩子姓名="赵五", 性别="不知道"),
        row(孩子姓名="钱六", 家长手机="123"),
    ]
    response = upload(client_of(site.hr), site.factory, xlsx(rows), season=site.season.pk)
    html = response.content.decode()
    for message in (
        "第 2 行（王小明）：出生日期：“2018-02-30”不是日期",
        "第 3 行（王小明）：家长姓名：缺少：工号 B999 还没有登记",
        "第 4 行（李四）：出生日期：是将来的日期",
        "第 6 行（周八）：孩子姓名：与第 5 行是同一个孩子",
        "不是允许的值",
        "不是 11 位手机号",
    ):
        assert message in html, message
    assert not Worker.objects.exists() and not Child.objects.exists()
    assert confirm(client_of(site.hr), site.factory).status_code == 200
    assert not Child.objects.exists()


def test_an_age_outside_the_season_is_a_problem(client_of, site):
    response = upload(
        client_of(site.hr), site.factory, xlsx([row(出生日期="2025-01-01")]), season=site.season.pk
    )
    assert "开班时" in response.content.decode()


def test_a_child_already_registered_is_left_as_it_is(client_of, site):
    hr = client_of(site.hr)
    upload(hr, site.factory, xlsx([row()]))
    confirm(hr, site.factory)
    html = upload(hr, site.factory, xlsx([row()])).content.decode()
    assert "孩子已经登记过，保持不变" in html
    confirm(hr, site.factory)
    assert Child.objects.count() == 1


def test_a_known_worker_needs_no_name(client_of, site):
    WorkerBuilder(factory=site.factory, employee_number="A100")
    hr = client_of(site.hr)
    assert "文件没有问题" in upload(hr, site.factory, xlsx([row(家长姓名="")])).content.decode()


def test_one_employee_number_with_two_parent_names_is_a_problem(client_of, site):
    """A typo in the number would put the second parent's child under the first."""
    hr = client_of(site.hr)
    rows = [row(), row(家长姓名="李建国", 与孩子关系="父亲", 孩子姓名="李小军")]
    html = upload(hr, site.factory, xlsx(rows)).content.decode()
    assert "第 3 行（李小军）：家长姓名：工号 A100 在第 2 行是王秀英" in html
    assert "确认并全部保存" not in html
    # The same parent written with a space is the same parent.
    html = upload(hr, site.factory, xlsx([row(), row(家长姓名="王 秀英", 孩子姓名="王小红")]))
    assert "文件没有问题" in html.content.decode()


def test_a_registered_workers_number_with_another_name_is_a_problem(client_of, site):
    WorkerBuilder(factory=site.factory, employee_number="A100", name="王秀英")
    hr = client_of(site.hr)
    html = upload(hr, site.factory, xlsx([row(家长姓名="李建国")])).content.decode()
    assert "工号 A100 已登记为王秀英" in html
    confirm(hr, site.factory)
    assert not Child.objects.exists()


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("x.xlsx", b""), "文件是空的"),
        (SimpleUploadedFile("x.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100), "不是 Excel"),
        (SimpleUploadedFile("x.xlsx", b"PK\x03\x04broken"), "无法读取"),
        # Excel 97-2003 (.xls) and WPS (.et) files: Excel files, only not .xlsx.
        (
            SimpleUploadedFile("x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
            "另存为 .xlsx",
        ),
        (SimpleUploadedFile("x.csv", "姓名,电话\n张三,1\n".encode()), "缺少这些列"),
        (SimpleUploadedFile("x.csv", ",".join(HEADER).encode()), "没有数据行"),
    ],
)
def test_unreadable_files_get_a_clear_message(client_of, site, file, message):
    response = upload(client_of(site.hr), site.factory, file)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Worker.objects.exists()


def test_ten_thousand_rows_are_refused_with_a_message(client_of, site):
    rows = [row(工号=f"N{n}", 孩子姓名="") for n in range(10_000)]
    response = upload(client_of(site.hr), site.factory, csv_file(rows))
    assert "一次最多导入 5000 行" in response.content.decode()


def test_five_thousand_rows_are_checked_in_a_few_queries(
    client_of, site, django_assert_max_num_queries
):
    rows = [row(工号=f"N{n}", 孩子姓名=f"孩子{n}") for n in range(5000)]
    client = client_of(site.hr)
    file = csv_file(rows)
    with django_assert_max_num_queries(12):
        response = upload(client, site.factory, file)
    assert "5000" in response.content.decode()


def test_the_template_downloads_as_xlsx(client_of, site):
    response = client_of(site.hr).get(reverse("enrollment:import-template", args=[site.factory.pk]))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook.active[1]] == HEADER


def test_only_hr_and_coordinators_of_the_factory_may_import(client_of, site, stranger):
    for user in (site.teacher_user, site.manager, stranger):
        assert client_of(user).get(url(site.factory)).status_code == 404
        template = reverse("enrollment:import-template", args=[site.factory.pk])
        assert client_of(user).get(template).status_code == 404
    assert client_of(site.coordinator).get(url(site.factory)).status_code == 200

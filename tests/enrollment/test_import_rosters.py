"""Rosters as HR offices keep them: title rows, their own header names, columns we
do not import, odd dates, re-imports, and a column mapping remembered per factory.

Every file is built here, in code, the way a clerk's spreadsheet looks.
"""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollment.imports import parse_date
from enrollment.imports.columns import signature
from enrollment.models import Child, ColumnMapping, Enrollment
from factories.models import AuditEntry, Worker

from ..builders import WorkerBuilder
from .test_import import confirm, upload, url

TITLE = "2026年暑期儿童之家报名表"
# A roster in an HR office's own words: none of these is the template's header but 工号.
HR_HEADER = ["序号", "工号", "姓名", "车间", "班次", "手机号", "子女姓名", "性别", "出生年月",
             "籍贯", "平时和谁生活", "宿舍号"]  # fmt: skip


def hr_row(n=1, **values):
    defaults = {
        "序号": n, "工号": "A100", "姓名": "王秀英", "车间": "装配车间", "班次": "白班",
        "手机号": "13812345678", "子女姓名": "王小明", "性别": "男", "出生年月": "2018年5月3日",
        "籍贯": "四川南充", "平时和谁生活": "爷爷奶奶/外公外婆", "宿舍号": "3-201",
    }  # fmt: skip
    defaults.update(values)
    return [defaults.get(column, "") for column in HR_HEADER]


def roster(rows, *, header=HR_HEADER, titles=(TITLE, "说明：每个孩子一行")) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for title in titles:
        sheet.append([title])
    if titles:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    for r in [header, *rows]:
        sheet.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("花名册.xlsx", buffer.getvalue())


def roster_csv(rows, *, header=HR_HEADER, titles=(TITLE,), encoding="gbk"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for title in titles:
        writer.writerow([title])
    writer.writerows([header, *rows])
    return SimpleUploadedFile("花名册.csv", buffer.getvalue().encode(encoding))


def test_a_title_row_is_skipped_and_the_preview_says_which_row_is_the_header(client_of, site):
    hr = client_of(site.hr)
    html = upload(hr, site.factory, roster([hr_row()])).content.decode()
    assert "第 3 行被当作表头" in html
    assert "文件没有问题" in html
    confirm(hr, site.factory)
    worker = Worker.objects.get()
    assert (worker.employee_number, worker.name, worker.department, worker.shift, worker.phone) == (
        "A100", "王秀英", "装配车间", "day", "13812345678",
    )  # fmt: skip
    child = Child.objects.get()
    assert (child.name, child.sex, child.date_of_birth, child.home_province) == (
        "王小明", "M", datetime.date(2018, 5, 3), "sichuan",
    )  # fmt: skip


def test_columns_we_do_not_import_are_listed_not_dropped_in_silence(client_of, site):
    html = upload(client_of(site.hr), site.factory, roster([hr_row()])).content.decode()
    assert "不导入（无法识别的列）" in html
    for header in ("序号", "宿舍号"):
        assert header in html.split('data-testid="not-imported"')[1].split("</p>")[0]


@pytest.mark.parametrize(
    "aliases",
    [
        ["工号", "姓名", "电话", "孩子姓名", "性别", "出生日期", "老家", "平时和谁生活"],
        ["工号", "员工姓名", "联系电话", "子女姓名", "性别", "出生年月", "籍贯", "平时和谁生活"],
        ["工号", "家长姓名", "手机", "孩子姓名", "性别", "出生日期", "老家省份", "平时和谁生活"],
        ["Employee No.", "Name", "Mobile", "Child name", "Gender", "Birthday", "Hometown",
         "Lives with"],
    ],
)  # fmt: skip
def test_common_header_names_are_understood(client_of, site, aliases):
    values = ["A100", "王秀英", "138-1234-5678", "王小明", "女", "2018-05-03", "四川省", "爷爷奶奶"]
    hr = client_of(site.hr)
    html = upload(hr, site.factory, roster([values], header=aliases, titles=())).content.decode()
    assert "文件没有问题" in html, aliases
    confirm(hr, site.factory)
    child = Child.objects.get()
    assert (child.name, child.sex, child.home_province) == ("王小明", "F", "sichuan")
    assert child.guardians.get().phone == "13812345678"


def test_a_gbk_csv_twin_of_the_roster_reads_the_same(client_of, site):
    hr = client_of(site.hr)
    html = upload(hr, site.factory, roster_csv([hr_row()])).content.decode()
    assert "第 2 行被当作表头" in html and "文件没有问题" in html
    confirm(hr, site.factory)
    assert Child.objects.get().date_of_birth == datetime.date(2018, 5, 3)


@pytest.mark.parametrize(
    "written",
    ["2019年3月5日", "2019/3/5", "2019.3.5", "20190305", "2019-03-05", "43529", "43529.0"],
)
def test_every_way_of_writing_a_date_reads_the_same(written):
    assert parse_date(written) == datetime.date(2019, 3, 5)


@pytest.mark.parametrize("written", ["19/3/5", "2019-02-30", "2019年13月1日", "三月五日", "2019.3"])
def test_a_two_digit_year_or_an_impossible_date_is_not_a_date(written):
    with pytest.raises(ValueError):
        parse_date(written)


def test_mixed_date_cells_in_one_file_are_read_alike_and_bad_ones_named(client_of, site):
    rows = [
        hr_row(1, 子女姓名="甲", 出生年月=datetime.datetime(2019, 3, 5)),  # an Excel date cell
        hr_row(2, 子女姓名="乙", 出生年月="43529"),  # a serial number pasted as text
        hr_row(3, 子女姓名="丙", 出生年月="2019.3.5"),
        hr_row(4, 子女姓名="丁", 出生年月="19/3/5"),
    ]
    html = upload(client_of(site.hr), site.factory, roster(rows)).content.decode()
    assert "第 7 行（丁）：出生年月：“19/3/5”不是日期" in html
    assert "2019年3月5日" in html  # the formats are listed
    assert "第 4 行" not in html and "第 5 行" not in html and "第 6 行" not in html


def test_messages_name_the_row_and_the_person(client_of, site):
    rows = [
        hr_row(1, 子女姓名="王小明"),
        hr_row(2, 子女姓名="李小明", 性别="未知"),
        hr_row(3, 子女姓名="王小明"),  # the same child as row 4
        hr_row(4, 工号="B200", 姓名="", 子女姓名="赵小红"),  # a new worker without a name
        hr_row(5, 子女姓名="钱大宝", 出生年月="2010-01-01"),  # over age
    ]
    html = upload(
        client_of(site.hr), site.factory, roster(rows), season=site.season.pk
    ).content.decode()
    assert "第 5 行（李小明）：性别：“未知”不是允许的值" in html
    assert "第 6 行（王小明）：子女姓名：与第 4 行是同一个孩子" in html
    # The name is what is missing: the message is on the name's column, not 工号's.
    assert "第 7 行（赵小红）：姓名：缺少：工号 B200 还没有登记" in html
    assert "第 8 行（钱大宝）：出生年月：" in html and "开班时" in html
    assert not Worker.objects.exists() and not Child.objects.exists()
    confirm(client_of(site.hr), site.factory)
    assert not Child.objects.exists(), "all or nothing"


def test_a_reimport_adds_new_rows_and_leaves_existing_ones(client_of, site):
    hr = client_of(site.hr)
    upload(hr, site.factory, roster([hr_row(1)]), season=site.season.pk)
    confirm(hr, site.factory)
    rows = [hr_row(1, 手机号="13900000000"), hr_row(2, 子女姓名="王小红", 性别="女")]
    html = upload(hr, site.factory, roster(rows), season=site.season.pk).content.decode()
    preview = html.split('data-testid="preview"')[1]
    assert "孩子已经登记过，保持不变" in preview and "新增孩子" in preview
    assert "更新员工" not in preview  # not asked for
    confirm(hr, site.factory)
    assert sorted(Child.objects.values_list("name", flat=True)) == ["王小明", "王小红"]
    assert Enrollment.objects.count() == 2
    assert Worker.objects.get().phone == "13812345678"


def test_a_reimport_can_update_phone_department_and_shift_of_workers(client_of, site):
    worker = WorkerBuilder(
        factory=site.factory, employee_number="A100", name="王秀英", phone="13812345678"
    )
    rows = [hr_row(1, 手机号="13900000000", 车间="包装车间", 班次="夜班", 子女姓名="")]
    hr = client_of(site.hr)
    html = upload(hr, site.factory, roster(rows), update_workers="on").content.decode()
    assert "更新员工：家长手机、部门、班次" in html
    confirm(hr, site.factory)
    worker.refresh_from_db()
    assert (worker.phone, worker.department, worker.shift) == ("13900000000", "包装车间", "night")
    entry = AuditEntry.objects.get(model="factories.worker", object_id=str(worker.pk))
    assert entry.changes["phone"] == ["13812345678", "13900000000"]


def test_headers_that_cannot_be_matched_are_mapped_once_and_remembered(client_of, site):
    header = ["员工编码", "员工", "小孩", "男女", "生日", "省", "和谁住"]
    values = ["A100", "王秀英", "王小明", "男", "2018-05-03", "四川", "爷爷奶奶"]
    hr = client_of(site.hr)
    html = upload(hr, site.factory, roster([values], header=header)).content.decode()
    assert "表头缺少这些列：工号" in html
    assert "文件没有问题" not in html
    mapping = {"header_row": "3", "col_0": "employee_number", "col_1": "worker_name",
               "col_2": "child_name", "col_3": "sex", "col_4": "date_of_birth",
               "col_5": "home_province", "col_6": "lives_with", "remap": "1"}  # fmt: skip
    html = hr.post(url(site.factory), mapping).content.decode()
    assert "文件没有问题" in html
    confirm(hr, site.factory)
    assert Child.objects.get().name == "王小明"
    assert ColumnMapping.objects.get(factory=site.factory).mapping["2"] == "child_name"

    # The next file of the same factory is read with the mapping: nothing to map.
    again = ["A101", "李四", "李小红", "女", "2017-01-02", "河南", "爷爷奶奶"]
    html = upload(hr, site.factory, roster([again], header=header)).content.decode()
    assert "文件没有问题" in html
    assert ColumnMapping.objects.filter(factory=site.factory).count() == 1  # one header row


def test_the_mapping_of_another_factory_is_not_used(client_of, site, other_site):
    header = ["员工编码", "员工", "小孩", "男女", "生日", "省", "和谁住"]
    ColumnMapping.objects.create(
        factory=other_site.factory,
        signature=signature(header, []),
        mapping={"0": "employee_number", "1": "worker_name"},
    )
    values = ["A100", "王秀英", "王小明", "男", "2018-05-03", "四川", "爷爷奶奶"]
    html = upload(client_of(site.hr), site.factory, roster([values], header=header)).content
    assert "表头缺少这些列：工号" in html.decode()


def test_a_remap_without_an_upload_asks_for_the_file(client_of, site):
    response = client_of(site.hr).post(url(site.factory), {"remap": "1"}, follow=True)
    assert "请重新上传文件" in response.content.decode()


def test_bad_mapping_input_is_not_a_server_error(client_of, site):
    hr = client_of(site.hr)
    upload(hr, site.factory, roster([hr_row()]))
    for data in (
        {"header_row": "x"},
        {"header_row": "99"},
        {"col_0": "nonsense", "header_row": "3"},
    ):
        response = hr.post(url(site.factory), {"remap": "1", **data})
        assert response.status_code == 200
    assert not Child.objects.exists()


def test_title_rows_do_not_count_against_the_row_limit(client_of, site):
    rows = [hr_row(n, 工号=f"N{n}", 子女姓名="") for n in range(5000)]
    html = upload(client_of(site.hr), site.factory, roster_csv(rows)).content.decode()
    assert "文件没有问题" in html and "5000" in html
    rows.append(hr_row(5001, 工号="N5001", 子女姓名=""))
    html = upload(client_of(site.hr), site.factory, roster_csv(rows)).content.decode()
    assert "一次最多导入 5000 行" in html


def test_a_header_row_with_nothing_under_it_is_a_message(client_of, site):
    hr = client_of(site.hr)
    upload(hr, site.factory, roster([hr_row(), HR_HEADER]))  # the header again, at the end
    response = hr.post(url(site.factory), {"remap": "1", "header_row": "5"}, follow=True)
    assert "没有数据行" in response.content.decode()
    # A row that names no column as the header: HR is asked for the columns.
    upload(hr, site.factory, roster([hr_row()]))
    response = hr.post(url(site.factory), {"remap": "1", "header_row": "4"})
    assert "表头缺少这些列：工号" in response.content.decode()
    assert not Child.objects.exists()


def test_full_width_numbers_in_cells_are_read_as_plain_ones(client_of, site):
    hr = client_of(site.hr)
    row = hr_row(**{"工号": "ａ１００", "手机号": "１３８ １２３４ ５６７８"})
    html = upload(hr, site.factory, roster([row])).content.decode()
    assert "文件没有问题" in html
    confirm(hr, site.factory)
    worker = Worker.objects.get()
    assert (worker.employee_number, worker.phone) == ("A100", "13812345678")


def test_a_parent_merged_over_the_rows_of_their_children_is_read_on_each_row(client_of, site):
    """HR offices merge a parent's cells down over the rows of their children."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([TITLE])
    sheet.merge_cells("A1:L1")
    sheet.append(HR_HEADER)
    sheet.append(hr_row(1))
    sheet.append(hr_row(2, **{"工号": None, "姓名": None, "手机号": None, "子女姓名": "王小红",
                              "性别": "女"}))  # fmt: skip
    for column in "BCDEF":  # 工号, 姓名, 车间, 班次, 手机号
        sheet.merge_cells(f"{column}3:{column}4")
    buffer = io.BytesIO()
    workbook.save(buffer)
    hr = client_of(site.hr)
    html = upload(hr, site.factory, SimpleUploadedFile("花名册.xlsx", buffer.getvalue()))
    assert "文件没有问题" in html.content.decode()
    confirm(hr, site.factory)
    worker = Worker.objects.get()
    assert sorted(worker.children.values_list("name", flat=True)) == ["王小明", "王小红"]


def test_children_registered_before_are_entered_into_the_season_chosen_now(client_of, site):
    """Spring: the roster is imported to register families. Summer: the same file
    with the season chosen enters every child as an application, once."""
    hr = client_of(site.hr)
    upload(hr, site.factory, roster([hr_row(1)]))
    confirm(hr, site.factory)
    assert not Enrollment.objects.exists()
    rows = [hr_row(1), hr_row(2, 子女姓名="王小红", 性别="女")]
    html = upload(hr, site.factory, roster(rows), season=site.season.pk).content.decode()
    assert "孩子已经登记过，录入报名申请" in html and "另有 1 个已登记的孩子将录入" in html
    confirm(hr, site.factory)
    assert sorted(Enrollment.objects.values_list("child__name", "season", "status")) == [
        ("王小明", site.season.pk, "applied"), ("王小红", site.season.pk, "applied"),
    ]  # fmt: skip
    html = upload(hr, site.factory, roster(rows), season=site.season.pk).content.decode()
    assert "录入报名申请" not in html.split('data-testid="preview"')[1]
    confirm(hr, site.factory)
    assert Enrollment.objects.count() == 2 and Child.objects.count() == 2


def workbook_of(sheets: dict) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for r in rows:
            sheet.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("花名册.xlsx", buffer.getvalue())


def test_the_list_is_read_from_its_sheet_when_a_notes_sheet_comes_first(client_of, site):
    hr = client_of(site.hr)
    file = workbook_of(
        {"填表说明": [["请每个孩子填一行"], ["工号必填"]], "名单": [HR_HEADER, hr_row()]}
    )
    assert "文件没有问题" in upload(hr, site.factory, file).content.decode()


def test_lists_on_several_sheets_are_refused_not_half_imported(client_of, site):
    hr = client_of(site.hr)
    file = workbook_of(
        {"一车间": [HR_HEADER, hr_row()], "二车间": [HR_HEADER, hr_row(工号="B200")]}
    )
    html = upload(hr, site.factory, file).content.decode()
    assert "有几个工作表都是名单（一车间、二车间）" in html and "文件没有问题" not in html


@pytest.mark.parametrize(
    ("arrival", "departure"),
    [("2099-07-01", ""), ("", "2000-07-01"), ("2000-07-01", "2000-08-01")],
)
def test_a_stay_outside_the_season_is_a_problem_not_a_server_error(
    client_of, site, arrival, departure
):
    header = [*HR_HEADER, "到厂日期", "离厂日期"]
    rows = [[*hr_row(), arrival, departure]]
    hr = client_of(site.hr)
    html = upload(hr, site.factory, roster(rows, header=header), season=site.season.pk)
    assert "不在本期项目时间内" in html.content.decode()
    assert confirm(hr, site.factory).status_code == 200
    assert not Enrollment.objects.exists() and not Child.objects.exists()


def test_a_header_on_the_first_row_is_not_said_to_skip_rows_above_it(client_of, site):
    hr = client_of(site.hr)
    html = upload(hr, site.factory, roster([hr_row()], titles=())).content.decode()
    assert "文件没有问题" in html and "被当作表头" not in html
    titled = upload(hr, site.factory, roster([hr_row()])).content.decode()
    assert "第 3 行被当作表头" in titled

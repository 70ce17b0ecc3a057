"""Rosters as HR offices keep them, part two: a two-level header (家长信息 / 子女信息
merged above 姓名 twice), a mapping made by hand and a re-import, no home province
or lives-with column, a totals row, hidden rows, birth dates given only inside an ID
number. Every file is built here the way a clerk's spreadsheet looks.
"""

import csv
import datetime
import io
import json

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrollment.models import Child, ColumnMapping, Enrollment, Guardianship
from factories.models import AuditEntry, Role, Worker

from ..builders import enroll, member
from .test_import import confirm, upload, url

TITLE = "2026年暑期儿童之家报名表"
# Row 2: group headings, 序号 and 工号 merged down over both header rows.
GROUPS = ["序号", "工号", "家长信息", None, None, "子女信息", None, None, None]
HEADER = ["序号", "工号", "姓名", "部门", "手机号", "姓名", "性别", "出生日期", "身份证号"]


def id_number(born: str, *, sequence: str = "123", region: str = "510722") -> str:
    """A resident ID number with its check digit (GB 11643-1999); the last
    digit of `sequence` odd for a boy."""
    body = region + born + sequence
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def family(n, number, parent, child, sex="男", born="2018-05-03", identity=""):
    return [n, number, parent, "装配车间", f"1381234567{n % 10}", child, sex, born, identity]


FAMILIES = [
    family(1, "A100", "王秀英", "王小明"),
    family(2, "A100", "王秀英", "王小红", sex="女", born="2019-07-01"),
    family(3, "B200", "李建国", "李小军", born="2017-02-11"),
]


def hr_roster(rows=FAMILIES, *, hidden=(), totals=True, groups=True) -> SimpleUploadedFile:
    """Title merged across, group headings merged over their columns, a totals row
    under the list, and `hidden` rows (1-based numbers in the sheet) hidden."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([TITLE])
    sheet.merge_cells("A1:I1")
    if groups:
        sheet.append(GROUPS)
        sheet.merge_cells("A2:A3")
        sheet.merge_cells("B2:B3")
        sheet.merge_cells("C2:E2")
        sheet.merge_cells("F2:I2")
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    if totals:
        sheet.append(["合计", None, f"{len(rows)}人"])
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("花名册.xlsx", buffer.getvalue())


def plain(header, rows) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    for r in [header, *rows]:
        workbook.active.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("名单.xlsx", buffer.getvalue())


def children():
    return sorted(Child.objects.values_list("name", flat=True))


# Item 11: the group heading tells the parent's 姓名 from the child's.


def test_a_two_level_header_reads_the_parents_name_and_the_childs(client_of, site):
    hr = client_of(site.hr)
    html = upload(hr, site.factory, hr_roster()).content.decode()
    grouped = html.split('data-testid="grouped"')[1].split("</div>")[0]
    assert "家长信息 / 姓名 → 家长姓名" in grouped and "子女信息 / 姓名 → 孩子姓名" in grouped
    mapper = html.split('for="id_col_5"')[1].split("</label>")[0]
    assert "子女信息 / 姓名" in mapper  # the mapper shows the group too
    assert "文件没有问题" in html
    confirm(hr, site.factory)
    assert children() == ["李小军", "王小明", "王小红"]
    assert sorted(Worker.objects.values_list("name", flat=True)) == ["李建国", "王秀英"]


def test_group_headings_in_a_csv_head_the_columns_to_their_right(client_of, site):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([GROUPS, HEADER, *FAMILIES])
    file = SimpleUploadedFile("花名册.csv", buffer.getvalue().encode("gbk"))
    hr = client_of(site.hr)
    assert "文件没有问题" in upload(hr, site.factory, file).content.decode()
    confirm(hr, site.factory)
    assert children() == ["李小军", "王小明", "王小红"]


def test_a_parents_id_number_or_sex_under_the_parents_heading_is_not_the_childs(client_of, site):
    groups = ["工号", "家长信息", None, None, "子女信息", None, None]
    header = ["工号", "姓名", "性别", "身份证号", "姓名", "性别", "身份证号"]
    row = ["A100", "王秀英", "女", id_number("19900101", sequence="124"), "王小明", "男",
           id_number("20180503")]  # fmt: skip
    file = plain(groups, [header, row])
    hr = client_of(site.hr)
    html = upload(hr, site.factory, file).content.decode()
    assert "文件没有问题" in html
    confirm(hr, site.factory)
    child = Child.objects.get()
    assert (child.name, child.sex, child.date_of_birth) == (
        "王小明",
        "M",
        datetime.date(2018, 5, 3),
    )


def test_a_title_and_a_date_above_the_header_are_not_group_headings(client_of, site):
    """The title names children (儿童之家): read as a group heading, it would make
    the parent's 姓名 the child's name."""
    rows = [[TITLE, None, None, None, "填表日期：2026年6月1日"],
            ["工号", "姓名", "子女姓名", "性别", "出生日期"],
            ["A100", "王秀英", "王小明", "男", "2018-05-03"]]  # fmt: skip
    hr = client_of(site.hr)
    html = upload(hr, site.factory, plain(rows[0], rows[1:])).content.decode()
    assert "文件没有问题" in html and 'data-testid="grouped"' not in html
    confirm(hr, site.factory)
    assert (Child.objects.get().name, Worker.objects.get().name) == ("王小明", "王秀英")


# Item 10: a mapping made by hand is kept by the whole header row and shown before reuse.

NO_GROUPS = ["工号", "姓名", "手机号", "姓名", "性别", "出生日期"]
ROWS = [["A100", "王秀英", "13812345678", "王小明", "男", "2018-05-03"],
        ["B200", "李建国", "13912345678", "李小军", "男", "2017-02-11"]]  # fmt: skip
BY_HAND = {"header_row": "1", "col_0": "employee_number", "col_1": "worker_name",
           "col_2": "phone", "col_3": "child_name", "col_4": "sex", "col_5": "date_of_birth",
           "remap": "1"}  # fmt: skip


def test_a_name_header_twice_is_pointed_out_not_dropped_in_silence(client_of, site):
    html = upload(client_of(site.hr), site.factory, plain(NO_GROUPS, ROWS)).content.decode()
    assert "有几列的表头都是 姓名" in html.split('data-testid="twice"')[1]


def test_a_reimport_with_a_remembered_mapping_never_names_children_after_parents(client_of, site):
    hr = client_of(site.hr)
    upload(hr, site.factory, plain(NO_GROUPS, ROWS), season=site.season.pk)
    assert "文件没有问题" in hr.post(url(site.factory), BY_HAND).content.decode()
    confirm(hr, site.factory)
    assert children() == ["李小军", "王小明"]

    # The same file again: read as HR mapped it, and the preview shows that mapping.
    html = upload(hr, site.factory, plain(NO_GROUPS, ROWS), season=site.season.pk)
    html = html.content.decode()
    remembered = html.split('data-testid="remembered"')[1].split("</div>")[0]
    assert "以前手动指定过" in remembered
    assert "姓名 → 家长姓名" in remembered and "姓名 → 孩子姓名" in remembered
    assert "孩子已经登记过，保持不变" in html
    confirm(hr, site.factory)
    assert children() == ["李小军", "王小明"]
    assert Enrollment.objects.count() == 2

    # A parents-only list of the same factory: its 姓名 is the parent's, as always.
    parents = plain(["工号", "姓名", "手机号"], [["C300", "赵敏", "13700000000"]])
    html = upload(hr, site.factory, parents).content.decode()
    assert "以前手动指定过" not in html and "文件没有问题" in html
    confirm(hr, site.factory)
    assert Worker.objects.get(employee_number="C300").name == "赵敏"
    assert children() == ["李小军", "王小明"]

    # Another layout with 姓名 twice is not read with this one's mapping.
    moved = plain(["姓名", "工号", "手机号", "姓名", "性别", "出生日期"],
                  [["王秀英", "A100", "13812345678", "王小明", "男", "2018-05-03"]])  # fmt: skip
    html = upload(hr, site.factory, moved).content.decode()
    assert "以前手动指定过" not in html
    assert ColumnMapping.objects.filter(factory=site.factory).count() == 1


def test_a_child_named_as_the_parent_on_the_same_row_is_refused(client_of, site):
    """The old remembered mapping read the parent's 姓名 as the child's name: such a
    row is refused, whatever the mapping, and nothing is saved."""
    hr = client_of(site.hr)
    upload(hr, site.factory, plain(NO_GROUPS, ROWS))
    hr.post(url(site.factory), BY_HAND)
    confirm(hr, site.factory)
    upload(hr, site.factory, plain(NO_GROUPS, ROWS))
    wrong = {**BY_HAND, "col_1": "child_name", "col_3": ""}  # the parent's column as the child's
    html = hr.post(url(site.factory), wrong).content.decode()
    assert "第 2 行（王秀英）：姓名：与本行家长同名" in html
    assert "确认并全部保存" not in html
    confirm(hr, site.factory)
    assert children() == ["李小军", "王小明"]


def test_the_preview_says_which_children_are_new_and_where_their_applications_go(client_of, site):
    hr = client_of(site.hr)
    upload(hr, site.factory, hr_roster(FAMILIES[:1]))
    confirm(hr, site.factory)  # 王小明 registered, without a season
    html = upload(hr, site.factory, hr_roster(), season=site.season.pk).content.decode()
    season = str(site.season)
    assert f"报名申请录入：{season}。" in html
    preview = html.split('data-testid="preview"')[1]
    assert f"孩子已经登记过，录入报名申请；报名：{season}" in preview  # 王小明
    assert preview.count(f"新增孩子；报名：{season}") == 2  # 王小红, 李小军
    html = upload(hr, site.factory, hr_roster()).content.decode()
    assert "没有选择项目期：孩子只登记，不录入报名。" in html


def test_only_hr_and_coordinators_of_the_factory_see_the_remembered_mapping(
    client_of, site, stranger
):
    hr = client_of(site.hr)
    upload(hr, site.factory, plain(NO_GROUPS, ROWS))
    hr.post(url(site.factory), BY_HAND)
    assert client_of(stranger).post(url(site.factory), BY_HAND).status_code == 404
    assert ColumnMapping.objects.get().mapped_by == site.hr


# Item 12: no home province or lives-with column.


def test_a_roster_without_province_or_lives_with_imports_children_marked_details_missing(
    client_of, site, stranger
):
    hr = client_of(site.hr)
    html = upload(hr, site.factory, hr_roster(), season=site.season.pk).content.decode()
    assert "文件没有问题" in html
    assert "3 个新孩子信息待补" in html and "信息待补：老家省份、平时和谁生活" in html
    confirm(hr, site.factory)
    child = Child.objects.get(name="王小明")
    assert (child.home_province, child.lives_with) == ("", "")

    page = hr.get(reverse("enrollment:child-detail", args=[child.pk])).content.decode()
    assert "信息待补" in page.split('data-testid="details-missing"')[1].split("</div>")[0]
    review = reverse("enrollment:applications", args=[site.season.pk])
    assert hr.get(review).content.decode().count('data-testid="details-missing"') == 3

    details = reverse("enrollment:child-details", args=[child.pk])
    assert "这个字段是必填项" in hr.post(details, {"home_province": "sichuan"}).content.decode()
    hr.post(details, {"home_province": "sichuan", "lives_with": "grandparents"})
    child.refresh_from_db()
    assert (child.home_province, child.lives_with) == ("sichuan", "grandparents")
    assert AuditEntry.objects.filter(object_id=str(child.pk), action="update").exists()
    page = hr.get(reverse("enrollment:child-detail", args=[child.pk])).content.decode()
    assert 'data-testid="details-missing"' not in page
    for outsider in (stranger, site.teacher_user, site.manager):
        assert client_of(outsider).get(details).status_code == 404


def test_children_with_details_missing_are_on_the_roll_call_and_counted_as_unknown(client_of, site):
    hr = client_of(site.hr)
    upload(hr, site.factory, hr_roster(FAMILIES[:1], totals=False))
    confirm(hr, site.factory)
    child = Child.objects.get()
    enroll(site.group, child=child)
    roll_call = reverse("attendance:roll-call-today", args=[site.group.pk])
    page = client_of(site.teacher_user).get(roll_call)
    assert page.status_code == 200 and "王小明" in page.content.decode()
    report = client_of(site.coordinator).get(reverse("reports:season", args=[site.season.pk]))
    html = report.content.decode()
    assert report.status_code == 200
    assert "平时和谁生活：尚不清楚" in html.split('data-testid="lives-with-unknown"')[1]
    assert "不清楚" in html.split("老家省份")[1]


# Item 13: totals rows, hidden rows, ID numbers.


def test_a_totals_row_is_skipped_and_named(client_of, site):
    hr = client_of(site.hr)
    html = upload(hr, site.factory, hr_roster()).content.decode()
    assert "合计行，已跳过：第 7 行（合计）" in html
    assert "文件没有问题" in html
    confirm(hr, site.factory)
    assert Child.objects.count() == 3
    # Counts under the columns, 总计 in the first: skipped all the same.
    rows = [*FAMILIES, ["总计", 2, "2人", None, None, "3人"]]
    html = upload(hr, site.factory, hr_roster(rows, totals=False)).content.decode()
    assert "合计行，已跳过：第 7 行（总计）" in html and "文件没有问题" in html


def test_hidden_rows_are_listed_and_imported_only_when_hr_asks(client_of, site):
    hr = client_of(site.hr)
    html = upload(hr, site.factory, hr_roster(hidden=[6])).content.decode()
    hidden = html.split('data-testid="hidden"')[1].split("</div>")[0]
    assert "表格中有 1 行被隐藏：" in hidden and "第 6 行（李小军）" in hidden
    assert "这些行不导入" in hidden
    confirm(hr, site.factory)
    assert children() == ["王小明", "王小红"]

    upload(hr, site.factory, hr_roster(hidden=[6]))
    html = hr.post(url(site.factory), {"hidden": "include"}).content.decode()
    assert "这些行会导入" in html and "文件没有问题" in html
    confirm(hr, site.factory)
    assert children() == ["李小军", "王小明", "王小红"]


def test_a_birth_date_only_in_the_id_number_is_read_and_the_number_kept_nowhere(client_of, site):
    number = id_number("20190701", sequence="124")  # a girl
    rows = [family(1, "A100", "王秀英", "王小红", sex="", born="", identity=number)]
    hr = client_of(site.hr)
    html = upload(hr, site.factory, hr_roster(rows), season=site.season.pk).content.decode()
    assert "文件没有问题" in html and "出生日期和性别取自身份证号（号码不保存）" in html
    assert number not in html
    assert number not in json.dumps(dict(hr.session.items()), ensure_ascii=False)
    confirm(hr, site.factory)
    child = Child.objects.get()
    assert (child.date_of_birth, child.sex) == (datetime.date(2019, 7, 1), "F")
    stored = [
        *Child.objects.values_list(),
        *Worker.objects.values_list(),
        *Guardianship.objects.values_list(),
        *Enrollment.objects.values_list(),
        *AuditEntry.objects.values_list(),
        *ColumnMapping.objects.values_list(),
    ]
    assert number not in json.dumps(stored, default=str, ensure_ascii=False)
    assert number[6:14] not in json.dumps(dict(hr.session.items()), ensure_ascii=False)


def test_an_id_number_with_a_wrong_check_digit_is_refused_with_a_message(client_of, site):
    good = id_number("20180503")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    rounded = int(good[:-1] + "0") * 1.0  # typed as a number: Excel keeps 15 digits
    rows = [family(1, "A100", "王秀英", "王小明", sex="", born="", identity=bad),
            family(2, "B200", "李建国", "李小军", sex="", born="", identity=rounded)]  # fmt: skip
    hr = client_of(site.hr)
    html = upload(hr, site.factory, hr_roster(rows)).content.decode()
    assert "第 4 行（王小明）：子女信息 / 身份证号：不是有效的身份证号" in html
    assert "第 5 行（李小军）：子女信息 / 身份证号：不是有效的身份证号" in html
    assert "设为文本格式" in html
    assert bad not in html
    confirm(hr, site.factory)
    assert not Child.objects.exists()


# Item 21: what the preview says about workers and relationships.


def test_a_worker_added_by_an_earlier_row_is_not_said_to_be_unchanged(client_of, site):
    html = upload(client_of(site.hr), site.factory, hr_roster()).content.decode()
    preview = html.split('data-testid="preview"')[1]
    second = preview.split("<td>5</td>")[1].split("</tr>")[0]  # 王小红, the same new parent
    assert "第 4 行的员工" in second and "保持不变" not in second


def test_a_relationship_left_empty_is_said_to_be_saved_as_other(client_of, site):
    hr = client_of(site.hr)
    html = upload(hr, site.factory, hr_roster()).content.decode()
    assert "3 行没有填与孩子关系：家长保存为“其他”。" in html
    assert "未填与孩子关系：保存为“其他”" in html.split('data-testid="preview"')[1]
    confirm(hr, site.factory)
    assert set(Guardianship.objects.values_list("relationship", flat=True)) == {"other"}


def test_a_coordinator_of_another_factory_gets_404_on_the_details_form(client_of, site, other_site):
    child = Child.objects.create(factory=site.factory, name="甲", sex="M",
                                 date_of_birth=datetime.date(2018, 1, 1))  # fmt: skip
    coordinator = member(other_site.factory, Role.COORDINATOR)
    details = reverse("enrollment:child-details", args=[child.pk])
    assert client_of(coordinator).get(details).status_code == 404
    assert client_of(site.coordinator).get(details).status_code == 200

"""Hostile files: a small upload built to unpack to gigabytes, millions of shared
strings or cells, or a lying dimension is refused with a clear message before
anything is read in full, and a valid roster with a lying dimension still reads.

Time and memory per file: bench/hostile_imports.py.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollment.models import Child
from factories.models import Worker

from . import hostile_files as hostile
from .test_import import confirm, upload

TOO_BIG = "解压后远远超出"  # "unpacks to far more than a list holds"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (hostile.zip_bomb, TOO_BIG),
        (hostile.many_shared_strings, TOO_BIG),
        (lambda: hostile.many_shared_strings(300_000, distinct=True), TOO_BIG),  # the count
        (hostile.wide_row, TOO_BIG),  # 2 million cells: compressed over 100 times
        (lambda: hostile.wide_row(5_000), "第 1 行超过 1000 个单元格"),
        (hostile.wide_row_of_values, "第 1 行的第 101 列有值"),
        (hostile.far_row, "第 1048576 行有值，远在名单下面"),
        (hostile.entity_expansion, "无法读取"),
    ],
    ids=["zip-bomb", "3M-shared-strings", "300k-shared-strings", "wide-row", "5000-cells",
         "wide-values",
         "far-row", "entities"],
)  # fmt: skip
def test_a_hostile_xlsx_is_refused_with_a_message(client_of, site, build, message):
    data = build()
    assert len(data) < 5 * 1024 * 1024  # it passes the upload's size limit
    response = upload(client_of(site.hr), site.factory, SimpleUploadedFile("花名册.xlsx", data))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Worker.objects.exists()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (hostile.csv_wide_row, "超过 1000 个单元格"),
        (hostile.csv_quoted_newlines, "超过 1000 个单元格"),
        (hostile.csv_many_rows, "包括空行在内超过 40000 行"),
    ],
    ids=["wide-row", "quoted-newlines", "blank-lines"],
)
def test_a_hostile_csv_is_refused_with_a_message(client_of, site, build, message):
    response = upload(client_of(site.hr), site.factory, SimpleUploadedFile("x.csv", build()))
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.parametrize("dimension", ["A1:XFD1048576", "A1:B2", "A1"])
def test_a_lying_dimension_does_not_change_what_is_read(client_of, site, dimension):
    """openpyxl pads read-only rows to the claimed dimension: the whole grid would
    be 17 billion cells. The rows and columns read are those the scan found."""
    hr = client_of(site.hr)
    file = SimpleUploadedFile("花名册.xlsx", hostile.lying_dimension(dimension))
    assert "文件没有问题" in upload(hr, site.factory, file).content.decode()
    confirm(hr, site.factory)
    assert Child.objects.get().name == "王小明"

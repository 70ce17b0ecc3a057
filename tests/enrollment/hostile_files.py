"""Hostile rosters, built in code: small uploads that unpack to far more than a
list holds. Used by the tests and by bench/hostile_imports.py."""

import io
import zipfile

import openpyxl

# The template's header and one valid row (as in test_import, without Django).
HEADER = ["工号", "家长姓名", "与孩子关系", "部门", "班次", "家长手机", "孩子姓名", "性别",
          "出生日期", "老家省份", "老家县区", "平时和谁生活"]  # fmt: skip
ROW = ["A100", "王秀英", "母亲", "", "", "13812345678", "王小明", "男", "2018-05-03", "四川", "",
       "爷爷奶奶/外公外婆"]  # fmt: skip

MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def valid_xlsx(rows=None) -> bytes:
    workbook = openpyxl.Workbook()
    for r in [HEADER, *(rows if rows is not None else [ROW])]:
        workbook.active.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def repack(base: bytes, parts: dict) -> bytes:
    """`base` with some parts replaced: bytes, or an iterable of byte chunks
    (written as a stream, so a gigabyte costs no memory to build)."""
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info))
        for name, content in parts.items():
            with target.open(name, "w", force_zip64=True) as stream:
                for chunk in [content] if isinstance(content, bytes) else content:
                    stream.write(chunk)
    return out.getvalue()


def sheet_xml(rows_xml, dimension="A1:B2") -> list[bytes]:
    head = f'<?xml version="1.0"?><worksheet {MAIN}><dimension ref="{dimension}"/><sheetData>'
    return [head.encode(), *rows_xml, b"</sheetData></worksheet>"]


def repeated(chunk: bytes, times: int, per_write: int = 10_000):
    block = chunk * per_write
    for _ in range(times // per_write):
        yield block
    yield chunk * (times % per_write)


def zip_bomb() -> bytes:
    """A sheet that inflates to 1 GB of blanks."""
    return repack(
        valid_xlsx(), {"xl/worksheets/sheet1.xml": sheet_xml(repeated(b" " * 1000, 1_000_000))}
    )


def with_shared_strings(content) -> bytes:
    """A roster with a shared strings part, listed where Excel lists it."""
    base = valid_xlsx()
    types = zipfile.ZipFile(io.BytesIO(base)).read("[Content_Types].xml").decode()
    override = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    return repack(
        base,
        {"[Content_Types].xml": types.replace("</Types>", override).encode(),
         "xl/sharedStrings.xml": content},
    )  # fmt: skip


def many_shared_strings(n: int = 3_000_000, distinct: bool = False) -> bytes:
    """Millions of shared strings (the count the file declares is 1). Distinct ones
    compress less than 100 times: the count, not the ratio, refuses them."""
    head = f'<?xml version="1.0"?><sst {MAIN} count="1" uniqueCount="1">'.encode()
    if distinct:
        strings = (f"<si><t>{i}</t></si>".encode() for i in range(n))
    else:
        strings = repeated(b"<si><t>x</t></si>", n)
    return with_shared_strings([head, *strings, b"</sst>"])


def wide_row(cells: int = 2_000_000) -> bytes:
    """One row of millions of empty cells."""
    return repack(
        valid_xlsx(),
        {
            "xl/worksheets/sheet1.xml": sheet_xml(
                [b'<row r="1">', *repeated(b"<c/>", cells), b"</row>"]
            )
        },
    )


def wide_row_of_values(cells: int = 5_000) -> bytes:
    """One row of thousands of cells with a number each."""
    return repack(
        valid_xlsx(),
        {
            "xl/worksheets/sheet1.xml": sheet_xml(
                [b'<row r="1">', *repeated(b"<c><v>1</v></c>", cells), b"</row>"]
            )
        },
    )


def lying_dimension(dimension: str = "A1:XFD1048576") -> bytes:
    """A valid roster whose sheet claims to be the whole grid."""
    base = valid_xlsx()
    archive = zipfile.ZipFile(io.BytesIO(base))
    xml = archive.read("xl/worksheets/sheet1.xml").decode()
    start = xml.index("<dimension")
    end = xml.index("/>", start) + 2
    lying = xml[:start] + f'<dimension ref="{dimension}"/>' + xml[end:]
    return repack(base, {"xl/worksheets/sheet1.xml": lying.encode()})


def far_row() -> bytes:
    """A value a million rows down, under a valid roster."""
    base = valid_xlsx()
    xml = zipfile.ZipFile(io.BytesIO(base)).read("xl/worksheets/sheet1.xml").decode()
    far = '<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>'
    return repack(base, {"xl/worksheets/sheet1.xml": xml.replace("</sheetData>", far).encode()})


def entity_expansion() -> bytes:
    """The "billion laughs": entities that expand to gigabytes."""
    doctype = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]>"
    )
    sst = f"{doctype}<sst {MAIN}><si><t>&lol9;</t></si></sst>"
    return with_shared_strings(sst.encode())


def csv_wide_row(cells: int = 2_000_000) -> bytes:
    return ",".join(HEADER).encode() + b"\n" + b"," * cells + b"\n"


def csv_many_rows(lines: int = 4_000_000) -> bytes:
    return ",".join(HEADER).encode() + b"\n" + b"\n" * lines


def csv_quoted_newlines(cells: int = 400_000) -> bytes:
    """A row of many cells, each a quoted newline: one comma a line."""
    return ",".join(HEADER).encode() + b"\n" + b'"\n",' * cells + b"\n"

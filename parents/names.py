"""How a message names a child: by the given name only.

Messages leave our hands (an SMS sits on a shared phone, a provider keeps it),
so they carry the least that lets a parent know which child is meant: "小雨",
not "王小雨". A Chinese name loses its surname (one character, or two for a
compound surname); a name in Latin letters keeps its first word.
"""

COMPOUND_SURNAMES = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里",
}  # fmt: skip


def given_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return name.split()[0]
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[2:]
    return name[1:] if len(name) >= 2 else name

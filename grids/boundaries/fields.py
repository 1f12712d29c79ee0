"""Which attribute of a file holds a code, a name, a kind: given by the user or found by its usual names."""

from typing import Any

from grids.errors import InvalidInput

DIVISION_CODE_FIELDS = ("code", "adcode", "xzqdm", "quhuadaima", "区划代码", "行政区划代码", "dm")
DIVISION_NAME_FIELDS = ("name", "xzqmc", "名称", "行政区划名称", "mc")
GRID_CODE_FIELDS = ("code", "grid_code", "wgbm", "wgdm", "网格编码", "网格代码", "编码")
GRID_NAME_FIELDS = ("name", "grid_name", "wgmc", "网格名称", "名称")
GRID_KIND_FIELDS = ("kind", "grid_kind", "wglx", "网格类型", "类型")

# Kinds as planners write them; 专属网格 without a more precise word is "other_dedicated".
KIND_WORDS = {
    "ordinary": "ordinary",
    "综合网格": "ordinary",
    "普通网格": "ordinary",
    "综合": "ordinary",
    "enterprise": "enterprise",
    "企业": "enterprise",
    "school": "school",
    "学校": "school",
    "market": "market",
    "市场": "market",
    "hospital": "hospital",
    "医院": "hospital",
    "scenic": "scenic",
    "景区": "scenic",
    "other_dedicated": "other_dedicated",
    "专属网格": "other_dedicated",
    "专属": "other_dedicated",
}


def pick_field(
    fields: list[str], *, given: str | None, usual: tuple[str, ...], option: str, required: bool
) -> str | None:
    """The field named by `given`, else the first field whose name is one of `usual` (any case)."""
    if given is not None:
        if given not in fields:
            raise InvalidInput(
                f"{option} {given!r} is not a field of the file; its fields are "
                f"{', '.join(fields) or '(none)'} (文件中没有该字段)",
                field=option.lstrip("-").replace("-", "_"),
            )
        return given
    lowered = {f.lower(): f for f in fields}
    found = next((lowered[u] for u in usual if u in lowered), None)
    if found is None and required:
        raise InvalidInput(
            f"cannot tell which field holds it: give {option}; the file's fields are "
            f"{', '.join(fields) or '(none)'}; usual names are {', '.join(usual)} (请用 {option} 指定字段)",
            field=option.lstrip("-").replace("-", "_"),
        )
    return found


def text_of(record: dict[str, Any], field: str | None) -> str:
    """The field's value as stripped text ('' when absent or empty); whole floats lose their '.0'."""
    if field is None:
        return ""
    value = record.get(field)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def kind_of(raw: str, *, row: int) -> str:
    """A grid kind from its English or Chinese word ('' means ordinary)."""
    if not raw:
        return "ordinary"
    kind = KIND_WORDS.get(raw.lower()) or next((k for w, k in KIND_WORDS.items() if w in raw), None)
    if kind is None:
        raise InvalidInput(
            f"feature {row}: grid kind {raw!r} is unknown; use one of ordinary/综合网格, enterprise/企业, "
            "school/学校, market/市场, hospital/医院, scenic/景区, other_dedicated/专属网格 "
            "(网格类型无法识别)",
            field="kind",
        )
    return kind

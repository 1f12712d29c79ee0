"""Chinese and English messages of validation problems, one pair per kind."""

from typing import Any

_TEMPLATES: dict[str, tuple[str, str]] = {
    "invalid_geometry": (
        "网格{codes}边界无效：{reason}{fix_zh}",
        "grid {codes} has invalid geometry: {reason}{fix_en}",
    ),
    "not_polygonal": ("网格{codes}不是面（须为多边形）", "grid {codes} is not a polygon"),
    "overlap": ("网格{codes}相互重叠{area}平方米", "grids {codes} overlap by {area} m²"),
    "gap": ("村社区{village}有{area}平方米未划入任何网格", "{area} m² of village {village} lie in no grid"),
    "sliver_gap": (
        "村社区{village}有{area}平方米的细小缝隙未划入网格（可用 --fix 并入相邻网格）",
        "a sliver of {area} m² of village {village} lies in no grid (--fix gives it to a neighbour)",
    ),
    "outside_village": (
        "网格{codes}有{area}平方米超出所属村社区{village}边界",
        "grid {codes} reaches {area} m² outside its village {village}",
    ),
    "malformed_code": ("网格编码{codes}格式有误（须为15位数字）", "grid code {codes} is not 15 digits"),
    "duplicate_code": ("网格编码{first}重复使用{n}次", "grid code {first} is used {n} times"),
    "code_not_under_village": (
        "网格编码{codes}不在所在村社区{village}编码之下",
        "grid code {codes} is not numbered under the village it lies in, {village}",
    ),
    "retired_code": (
        "网格编码{codes}已停用，不得重复使用（新网格将自动编号）",
        "grid code {codes} was retired and may not be reused (new grids are numbered automatically)",
    ),
    "no_village": ("网格{codes}不在任何已知村社区内", "grid {codes} lies in no known village"),
    "outside_scope": (
        "网格{codes}位于草稿范围{scope}之外的村社区{village}",
        "grid {codes} lies in village {village}, outside the draft's scope {scope}",
    ),
    "village_without_grid": ("村社区{village}没有任何网格", "village {village} has no grid"),
    "households_out_of_range": (
        "网格{codes}有{households}户，超出{low}–{high}户的范围",
        "grid {codes} has {households} households, outside {low}–{high}",
    ),
}

KINDS = tuple(_TEMPLATES)


def message(kind: str, *, codes: list[str], village: str | None, **values: Any) -> tuple[str, str]:
    """The Chinese and English message of a problem."""
    area = values.get("area_m2")
    fixable = values.get("fixable")
    fields = {
        "first": codes[0] if codes else "",
        "n": len(codes),
        "village": village or "?",
        "area": "?" if area is None else f"{area:,.1f}",
        "reason": values.get("reason") or "",
        "fix_zh": "（make_valid 可修复，可用 --fix）" if fixable else "",
        "fix_en": " (make_valid repairs it: --fix)" if fixable else "",
        **{k: v for k, v in values.items() if k not in ("area_m2", "reason", "fixable")},
    }
    zh, en = _TEMPLATES[kind]
    return zh.format(codes="、".join(codes), **fields), en.format(codes=", ".join(codes), **fields)

"""Standalone offline map pages for leaders: one deck, a Chinese-first title and legend, and optional
choices between layers (e.g. today's allocation or the proposed one), in one HTML file.

pydeck's own page names a Mapbox script and CDN style sheets in its <head>; on an intranet whose
firewall drops such requests the blocking script can hold the page blank for minutes. This page
inlines pydeck's deck.gl bundle and names nothing outside the file.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydeck as pdk
from jinja2 import Environment
from markupsafe import Markup
from pydeck.io.html import cdn_picker, iframe_with_srcdoc

Colour = Sequence[int]


@dataclass(frozen=True)
class Legend:
    """One legend block: a heading and colour swatches with their labels."""

    heading: str
    items: Sequence[tuple[Colour, str]]


@dataclass(frozen=True)
class Choice:
    """A radio choice of the page: its label and the layers it shows (those of other choices hide)."""

    label: str
    layer_ids: Sequence[str]


_TEMPLATE = Environment(autoescape=True).from_string(
    """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
html, body { margin: 0; padding: 0; height: 100%; overflow: hidden;
  font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif; }
#deck-container { position: absolute; inset: 0; background: #f4f4f0; }
#panel { position: absolute; top: 12px; left: 12px; z-index: 2; max-width: 360px; max-height: 90%;
  overflow-y: auto; padding: 10px 14px; background: rgba(255, 255, 255, 0.93); border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); font-size: 13px; line-height: 1.5; }
#panel summary { cursor: pointer; }
#panel h1 { display: inline; font-size: 16px; margin: 0; }
#panel h2 { font-size: 13px; margin: 8px 0 2px; }
#panel p { margin: 0 0 4px; color: #444; }
#panel ul { list-style: none; margin: 0; padding: 0; }
#panel label { display: block; cursor: pointer; }
.swatch { display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -2px;
  border: 1px solid rgba(0, 0, 0, 0.5); }
</style>
{{ bundle }}
</head>
<body>
<div id="deck-container"></div>
<details id="panel" open>
<summary><h1>{{ title }}</h1></summary>
{% for line in notes %}<p>{{ line }}</p>
{% endfor %}
{% if choices %}<div id="choices">
{% for choice in choices %}<label><input type="radio" name="choice" value="{{ loop.index0 }}"
{% if loop.first %} checked{% endif %} onchange="gridsChoose(Number(this.value))"> {{ choice.label }}</label>
{% endfor %}</div>
{% endif %}
{% for block in legend %}<h2>{{ block.heading }}</h2>
<ul>{% for colour, label in block.items %}
<li><span class="swatch" style="background: {{ css(colour) }}"></span>{{ label }}</li>{% endfor %}
</ul>
{% endfor %}
</details>
<script>
const deckInstance = createDeck({
  container: document.getElementById('deck-container'),
  jsonInput: {{ deck_json }},
  tooltip: {"html": "{tip}"},
  customLibraries: null,
  configuration: null,
  showError: true,
});
const gridsChoices = {{ choices_json }};
function gridsChoose(index) {
  const named = new Set(gridsChoices.flat());
  const shown = new Set(gridsChoices[index] || []);
  deckInstance.setProps({layers: deckInstance.props.layers.map(
    (layer) => named.has(layer.id) ? layer.clone({visible: shown.has(layer.id)}) : layer)});
}
if (gridsChoices.length) gridsChoose(0);
</script>
</body>
</html>
"""
)


def _css(colour: Colour) -> str:
    red, green, blue, *alpha = colour
    return f"rgba({red}, {green}, {blue}, {(alpha[0] if alpha else 255) / 255:.2f})"


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element (no `</` can close it early)."""
    return Markup(json.dumps(value, ensure_ascii=False).replace("</", "<\\/"))


def render(
    deck: pdk.Deck,
    *,
    title: str,
    notes: Sequence[str] = (),
    legend: Sequence[Legend] = (),
    choices: Sequence[Choice] = (),
) -> str:
    """The deck as one offline HTML page: title, notes, legend, choices; tooltips show each object's `tip`."""
    return _TEMPLATE.render(
        title=title,
        notes=notes,
        legend=legend,
        choices=choices,
        css=_css,
        bundle=Markup(cdn_picker(offline=True)),
        deck_json=_script_json(json.loads(deck.to_json())),
        choices_json=_script_json([list(c.layer_ids) for c in choices]),
    )


def write(page: str, folder: Path, name: str) -> Path:
    """Write `page` as `name`.html in `folder` (created if missing); returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.html"
    target.write_text(page, encoding="utf-8")
    return target


def show(page: str, *, height: int = 620) -> Any:
    """The page inline in a notebook (an iframe holding the whole page, so it works offline too)."""
    return iframe_with_srcdoc(page, height=height)

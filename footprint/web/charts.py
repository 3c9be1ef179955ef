"""Plotly charts for pages: one look (colours per cloud, fonts, margins) and one way to embed.

Figures are written as plotly JSON directly: building a ``plotly.graph_objects.Figure`` validates every
property and costs ~15 ms a chart, a tenth of a page's budget. Pages include
``{% static 'vendor/plotly.min.js' %}`` (served by footprint.web.finders from the plotly package; there is no
CDN) and put ``plot(...)``, ``bar(...)`` or ``donut(...)`` in the page.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString

CLOUD_COLORS = {
    "aws": "#ff9900", "gcp": "#4285f4", "azure": "#0078d4", "coreweave": "#6d28d9", "nebius": "#0f766e",
    "lambda": "#7c3aed", "unknown": "#9ca3af",
}
# Everything else (teams, models, GPU types): a fixed qualitative palette, assigned in order of the keys.
PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#dc2626", "#4f46e5", "#65a30d", "#db2777",
           "#0d9488", "#ea580c", "#6b7280"]
FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12, "color": "#1d2330"}
AXIS = {"gridcolor": "#eef0f4", "zeroline": False, "automargin": True}

_plot_ids = itertools.count(1)


def colors_for(keys: Iterable[str], mapping: dict[str, str] | None = None) -> list[str]:
    """A colour per key: the fixed one where ``mapping`` has it, else the palette in order."""
    out, i = [], 0
    for key in keys:
        if mapping and key in mapping:
            out.append(mapping[key])
        else:
            out.append(PALETTE[i % len(PALETTE)])
            i += 1
    return out


def plot(data: list[dict], layout: dict | None = None, *, height: int = 300) -> SafeString:
    """A plotly figure: a <div>, its JSON in a ``<script type="application/json">`` and one call to
    Plotly.newPlot (plotly.min.js is loaded from static by the page)."""
    ident = f"plot-{next(_plot_ids)}"
    figure = {"data": data, "layout": {
        "height": height, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff", "font": FONT, "legend": {"orientation": "h", "y": -0.15}, "xaxis": dict(AXIS),
        "yaxis": dict(AXIS), "hoverlabel": {"font": {"size": 12}}, **(layout or {})}}
    return format_html(
        # Drawn once the page is laid out: drawn inline, a chart would size itself to a grid still being built.
        '<div id="{0}" class="plot" style="min-height:{1}px"></div>{2}<script>'
        'document.addEventListener("DOMContentLoaded",function(){{'
        'var f=JSON.parse(document.getElementById("{0}-data").textContent);'
        'Plotly.newPlot("{0}",f.data,f.layout,{{displayModeBar:false,responsive:true}});}});</script>',
        ident, height, json_script(figure, f"{ident}-data"))


def bar(labels: list[str], values: list[float], *, colors: list[str] | None = None, money: bool = True,
        horizontal: bool = False, height: int = 300) -> SafeString:
    """A one-series bar chart (the common case on these pages)."""
    text = [f"${v:,.0f}" if money else f"{v:,.0f}" for v in values]
    trace = {"type": "bar", "marker": {"color": colors}, "text": text, "textposition": "auto",
             "hovertemplate": "%{label}: %{text}<extra></extra>"}
    if horizontal:
        trace.update(y=labels, x=values, orientation="h")
        return plot([trace], {"yaxis": {**AXIS, "autorange": "reversed"}}, height=height)
    trace.update(x=labels, y=values)
    return plot([trace], height=height)


def donut(labels: list[str], values: list[float], *, colors: list[str] | None = None,
          height: int = 300) -> SafeString:
    """Shares of a monthly cost."""
    trace = {"type": "pie", "labels": labels, "values": values, "hole": 0.55, "sort": False,
             "marker": {"colors": colors}, "texttemplate": "%{label}<br>$%{value:,.0f}",
             "hovertemplate": "%{label}: $%{value:,.0f}/month (%{percent})<extra></extra>"}
    return plot([trace], height=height)

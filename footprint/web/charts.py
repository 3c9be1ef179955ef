"""Plotly charts for pages: one look (colours per cloud and severity, fonts, margins) and one way to embed.

Pages include ``{% static 'vendor/plotly.min.js' %}`` once (see ``web/base.html`` block ``scripts``) and put
``figure_html(fig)`` in the page; the figure's JSON is inlined, plotly.js is never fetched from a CDN.
"""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go
from django.utils.safestring import SafeString, mark_safe

CLOUD_COLORS = {
    "aws": "#ff9900", "gcp": "#4285f4", "azure": "#0078d4", "coreweave": "#6d28d9", "nebius": "#0f766e",
    "lambda": "#7c3aed", "unknown": "#9ca3af",
}
SEVERITY_COLORS = {"critical": "#b91c1c", "high": "#dc2626", "medium": "#d97706", "low": "#2563eb", "info": "#6b7280"}
# Everything else (teams, models, GPU types): a fixed qualitative palette, assigned in order of the keys.
PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#dc2626", "#4f46e5", "#65a30d", "#db2777",
           "#0d9488", "#ea580c", "#6b7280"]


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


def figure_style(fig: go.Figure, *, height: int = 300) -> go.Figure:
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, paper_bgcolor="#fff", plot_bgcolor="#fff",
        font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12, "color": "#1d2330"},
        legend={"orientation": "h", "y": -0.15}, hoverlabel={"font": {"size": 12}},
    )
    fig.update_xaxes(gridcolor="#eef0f4", zeroline=False)
    fig.update_yaxes(gridcolor="#eef0f4", zeroline=False)
    return fig


def figure_html(fig: go.Figure, *, height: int = 300) -> SafeString:
    """The figure as a <div> + inline JSON; expects plotly.min.js loaded from static by the page."""
    figure_style(fig, height=height)
    html = fig.to_html(full_html=False, include_plotlyjs=False, config={"displayModeBar": False, "responsive": True})
    return mark_safe(html)  # noqa: S308 - plotly's own output: figure JSON we built from database values


def bar(labels: list[str], values: list[float], *, colors: list[str] | None = None, money: bool = True,
        horizontal: bool = False, height: int = 300) -> SafeString:
    """A one-series bar chart (the common case on these pages)."""
    text = [f"${v:,.0f}" if money else f"{v:,.0f}" for v in values]
    if horizontal:
        trace = go.Bar(y=labels, x=values, orientation="h", marker_color=colors, text=text, textposition="auto")
    else:
        trace = go.Bar(x=labels, y=values, marker_color=colors, text=text, textposition="auto")
    fig = go.Figure(trace)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return figure_html(fig, height=height)


def donut(labels: list[str], values: list[float], *, colors: list[str] | None = None, height: int = 300) -> SafeString:
    fig = go.Figure(go.Pie(labels=labels, values=values, hole=0.55, marker={"colors": colors}, sort=False))
    return figure_html(fig, height=height)

"""Charts rendered on the server as SVG with pygal: no JavaScript, print-friendly, offline.

Pages draw the bar charts in HTML (``macros.bar_chart``), where a long Japanese name wraps
instead of being cut; the SVGs here serve the participation chart and anyone linking a chart.
No label is truncated, all text is at least 12 px, and the participation chart puts each
published figure at its date on a proportional time axis, counting from zero. A figure its
source gives without a date, or only as a lower bound (「30件以上」), is not a point on a line:
the page lists it beside the chart as stated (``macros.charts``).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from c3p.errors import NotFound
from c3p.messages import N_, Message
from c3p.program import schemas as v

#: The portal's palette; pygal is imported only when a chart is first drawn (start-up time).
STYLE_OPTIONS = dict(
    background="transparent",
    plot_background="transparent",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#4d4d4d",
    colors=("#0017c1", "#197a4b", "#b75d00", "#8843e1", "#ce0000"),
    font_family="'Noto Sans JP', 'Noto Sans CJK JP', sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=13,
    value_label_font_size=13,
    legend_font_size=14,
    tooltip_font_size=13,
    title_font_size=16,
)


@lru_cache(maxsize=1)
def _style():
    from pygal.style import Style

    return Style(**STYLE_OPTIONS)


TITLES = {
    "projects-by-country": ("Projects by country", "国別の案件数"),
    "projects-by-sector": ("Projects by sector", "分野別の案件数"),
    "projects-by-proposer": ("Projects by proposer", "提案者別の案件数"),
    "participation": (
        "Participation over the years (cumulative, as published)",
        "参画の推移（累計・公表値）",
    ),
}


def chart_svg(stats: v.StatsView, name: str, language: str) -> bytes:
    if name not in TITLES:
        raise NotFound(
            Message(N_("no chart '%(chart)s'; charts: %(charts)s"), {"chart": name, "charts": ", ".join(TITLES)})
        )
    return _render(stats.model_dump_json(), name, language if language in ("ja", "en") else "ja")


@lru_cache(maxsize=64)
def _render(stats_json: str, name: str, language: str) -> bytes:
    import pygal

    stats = v.StatsView.model_validate_json(stats_json)
    title = TITLES[name][0 if language == "en" else 1]
    if name == "participation":
        return _participation(stats, title, language)
    counts = {
        "projects-by-country": stats.projects_by_country,
        "projects-by-sector": stats.projects_by_sector,
        "projects-by-proposer": stats.projects_by_proposer,
    }[name]
    labels = [c.name_en if language == "en" else c.name_ja for c in reversed(counts)]
    chart = pygal.HorizontalBar(
        style=_style(),
        show_legend=False,
        height=max(240, 32 * len(counts) + 80),
        width=720 + _label_width_px(labels),
        title=title,
        truncate_label=-1,
        margin_left=_label_width_px(labels),
    )
    chart.x_labels = labels
    chart.add(title, [c.count for c in reversed(counts)])
    return chart.render()


def _label_width_px(labels: list[str]) -> int:
    """Room for the longest label at 13 px: a full-width (CJK) character is about 1 em, others half."""
    widest = max((sum(13 if ord(ch) > 0x2E80 else 7.5 for ch in label) for label in labels), default=0)
    return int(widest) + 16


def _participation(stats: v.StatsView, title: str, language: str) -> bytes:
    import pygal

    reach = sorted((r for r in stats.reach if r.as_of_precision != "undated"), key=lambda r: r.as_of)
    precision = {r.as_of: r.as_of_precision for r in reach}
    chart = pygal.DateLine(
        style=_style(),
        width=720,
        height=380,
        title=title,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        truncate_legend=-1,
        dots_size=4,
        include_x_axis=True,
        x_value_formatter=lambda day: _as_precise_as_stated(day, precision.get(day, "day")),
    )
    if reach:
        chart.x_labels = [dt.date(year, 1, 1) for year in range(reach[0].as_of.year, reach[-1].as_of.year + 2)]
    names = {
        "countries": ("Countries", "国数"),
        "partner_places": ("Partner cities/regions", "パートナー都市・地域"),
        "japanese_governments": ("Japanese local governments", "日本の自治体"),
        "jcm_projects_realized": ("JCM projects realized", "実現したJCM案件"),
    }
    for field, labels in names.items():
        points = [(r.as_of, getattr(r, field)) for r in reach if _drawn(r, field)]
        chart.add(labels[0 if language == "en" else 1], points)
    return chart.render()


def _drawn(reach: v.ProgramReachView, field: str) -> bool:
    """A figure is a point when its source states it exactly, at a date ("or more" is not a value)."""
    if getattr(reach, field) is None:
        return False
    return not (field == "jcm_projects_realized" and reach.jcm_projects_at_least)


def _as_precise_as_stated(day: dt.date, precision: str) -> str:
    """A date as much as its source gives it (an axis tick on 1 January is a year).

    >>> _as_precise_as_stated(dt.date(2019, 8, 1), "month"), _as_precise_as_stated(dt.date(2024, 3, 29), "day")
    ('2019-08', '2024-03-29')
    """
    if precision == "year" or (day.month, day.day) == (1, 1):
        return str(day.year)
    return day.isoformat()[:7] if precision == "month" else day.isoformat()

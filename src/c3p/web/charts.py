"""Charts rendered on the server as SVG with pygal: no JavaScript, print-friendly, offline."""

from __future__ import annotations

from functools import lru_cache

from c3p.errors import NotFound
from c3p.messages import N_, Message
from c3p.program import schemas as v

#: The portal's palette; pygal is imported only when a chart is first drawn (start-up time).
STYLE_OPTIONS = dict(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#1b7f5f", "#2f6fb0", "#c77c02", "#8e44ad", "#c0392b"),
    font_family="sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
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
    chart = pygal.HorizontalBar(
        style=_style(),
        show_legend=False,
        height=max(240, 32 * len(counts) + 80),
        width=720,
        title=title,
    )
    chart.x_labels = [c.name_en if language == "en" else c.name_ja for c in reversed(counts)]
    chart.add(title, [c.count for c in reversed(counts)])
    return chart.render()


def _participation(stats: v.StatsView, title: str, language: str) -> bytes:
    import pygal

    reach = [r for r in stats.reach if r.partner_places is not None or r.japanese_governments is not None]
    chart = pygal.Line(style=_style(), width=720, height=360, title=title, legend_at_bottom=True, dots_size=4)
    chart.x_labels = [r.as_of.isoformat()[:7] for r in reach]
    names = {
        "countries": ("Countries", "国数"),
        "partner_places": ("Partner cities/regions", "パートナー都市・地域"),
        "japanese_governments": ("Japanese local governments", "日本の自治体"),
        "jcm_projects_realized": ("JCM projects realized", "実現したJCM案件"),
    }
    for field, labels in names.items():
        chart.add(labels[0 if language == "en" else 1], [getattr(r, field) for r in reach])
    return chart.render()

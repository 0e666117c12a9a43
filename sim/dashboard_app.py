"""The Solara app of ``tsunagari dashboard``: Mesa's SolaraViz around :class:`DashboardModel`.

Run it with ``tsunagari dashboard``, which serves it through :mod:`sim.dashboard_server` (Host
header check against DNS rebinding; the server ends with the command). A bare ``solara run
sim.dashboard_app`` works too but has neither safeguard. The
sidebar holds Mesa's controls (Reset rebuilds the model from the controls, Step advances
:data:`RENDER_WEEKS` weeks, play runs on) and the model parameters; the page shows a status card
(scale, residents, date, added levers, errors) and two charts drawn by
:mod:`sim.dashboard_plots`, the same functions the reports use.
"""

from __future__ import annotations

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, solara_viz

from sim.dashboard import (
    DIGITAL_OPTIONS,
    REGIONS,
    DashboardModel,
    DashboardSettings,
    package_names,
    wide_area_available,
)
from sim.dashboard_plots import plot_headline, plot_placeholder, plot_service_flows, text

RENDER_WEEKS = 4
"""Weeks advanced by one press of Step (about a month: one survey record)."""

LAYOUT: list[dict] = [
    {"i": 0, "x": 0, "y": 0, "w": 12, "h": 6, "moved": False},
    {"i": 1, "x": 0, "y": 6, "w": 6, "h": 13, "moved": False},
    {"i": 2, "x": 6, "y": 6, "w": 6, "h": 13, "moved": False},
]
"""Grid of the page (12 columns, rows of 30 px): status across the top, the two charts below."""

CSS = """
.v-application, .v-application .text-h6, .v-application .body-1 {
  font-family: Roboto, "IPAexGothic", "Hiragino Sans", "Yu Gothic", "Noto Sans CJK JP",
    "Noto Sans JP", sans-serif !important;
}
.tsunagari-title { font-size: 1.25rem; font-weight: 500; }
"""
"""Japanese fallbacks after Roboto, so that the page's Japanese text renders."""

UI: dict[str, dict[str, str]] = {
    "title": {
        "ja": "つながり：孤独・孤立対策ダッシュボード",
        "en": "tsunagari: loneliness dashboard",
    },
    "scale": {
        "ja": "縮小規模で実行中：国勢調査人口の {pct}（{n:,} 人）。数値は説明用の目安です。",
        "en": "Running at reduced scale: {pct} of the census population ({n:,} residents). "
        "Results are illustrative only.",
    },
    "when": {"ja": "施策開始から {week} 週（次の週 {date}）", "en": "Week {week} ({date} next)"},
    "added": {"ja": "追加した施策：{levers}", "en": "Levers added: {levers}"},
    "none": {"ja": "なし（パッケージのみ）", "en": "none (package only)"},
    "error": {"ja": "入力エラー：{msg}", "en": "Invalid input: {msg}"},
    "wide_area_off": {
        "ja": "広域連携（wide_area）はまだ実装されていないため使えません。",
        "en": "Wide-area cooperation (wide_area) is not implemented yet, so it is disabled.",
    },
    "burn_in": {
        "ja": "助走期間 {weeks} 週のあと、パッケージの施策はすべて0週目に開始します。",
        "en": "After a {weeks}-week burn-in, every lever of the package starts at week 0.",
    },
}


def ui(key: str, lang: str, **fields: object) -> str:
    """Translate a dashboard text and fill its fields."""
    return UI[key][lang if lang in ("ja", "en") else "ja"].format(**fields)


def model_params() -> dict[str, dict]:
    """SolaraViz controls: one per keyword of :class:`DashboardModel`, with its range.

    The wide-area checkbox is offered only when the ``wide_area`` lever type exists.
    """
    d = DashboardSettings()
    params: dict[str, dict] = {
        "lang": {
            "type": "Select",
            "value": d.lang,
            "values": ["ja", "en"],
            "label": "言語 language",
        },
        "region": {
            "type": "Select",
            "value": d.region,
            "values": list(REGIONS),
            "label": "地域 region",
        },
        "package": {
            "type": "Select",
            "value": d.package,
            "values": list(package_names()),
            "label": "パッケージ package",
        },
        "supporters_per_1000": _slider("支援者/千人 supporters", 0.0, 20.0, 0.5),
        "venues_per_zone": _slider("居場所/校区 venues", 0.0, 5.0, 0.25),
        "venue_capacity": _slider("定員 capacity", 5, 100, 5, d.venue_capacity),
        "digital_channel": {
            "type": "Select",
            "value": d.digital_channel,
            "values": list(DIGITAL_OPTIONS),
            "label": "デジタル相談 digital channel",
        },
        "scale": _slider("縮尺 scale", 0.002, 0.03, 0.002, d.scale),
        "seed": {"type": "InputText", "value": str(d.seed), "label": "乱数シード seed"},
    }
    if wide_area_available():
        params["wide_area"] = {"type": "Checkbox", "value": False, "label": "広域連携 wide-area"}
    return params


def _slider(label: str, low: float, high: float, step: float, value: float | None = None) -> dict:
    kind = "SliderInt" if isinstance(step, int) else "SliderFloat"
    return {
        "type": kind,
        "value": low if value is None else value,
        "min": low,
        "max": high,
        "step": step,
        "label": label,
    }


def StatusCard(model: DashboardModel):
    """Scale, date, added levers, notes and any input error."""
    lang = model.settings.lang
    with solara.Column(classes=["tsunagari-status"]) as main:
        solara.Text(ui("title", lang), classes=["tsunagari-title"])
        if model.error:
            solara.Error(ui("error", lang, msg=model.error), classes=["tsunagari-error"])
        else:
            pct = f"{100 * model.settings.scale:.1f}%"
            solara.Info(ui("scale", lang, pct=pct, n=model.n_residents))
            solara.Text(ui("when", lang, week=model.week, date=model.date))
            names = ", ".join(_describe(lv) for lv in model.added_levers) or ui("none", lang)
            solara.Text(ui("added", lang, levers=names), classes=["tsunagari-levers"])
            solara.Text(ui("burn_in", lang, weeks=model.sim.cfg.burn_in_weeks))
        for note in model.notes:
            solara.Warning(note)
        if not wide_area_available():
            solara.Checkbox(label="広域連携 wide-area", value=False, disabled=True)
            solara.Text(ui("wide_area_off", lang))
    return main


def _describe(lever) -> str:
    fields = ("per_1000", "per_zone", "capacity", "channel")
    shown = [f"{f}={getattr(lever, f)}" for f in fields if hasattr(lever, f)]
    return f"{lever.id.removeprefix('dashboard_')} ({', '.join(shown)})"


def HeadlineChart(model: DashboardModel):
    """Headline loneliness and isolation over the monthly records."""
    return _figure(model, plot_headline, "tsunagari-headline")


def FlowChart(model: DashboardModel):
    """Service flows (noticed, referred, served, dropped) and stocks over the monthly records."""
    return _figure(model, plot_service_flows, "tsunagari-flows")


def _figure(model: DashboardModel, draw, css: str):
    lang = model.settings.lang
    table = model.table()
    fig: Figure
    if model.error:
        fig = plot_placeholder(ui("error", lang, msg=model.error))
    elif table.empty:
        fig = plot_placeholder(text("no_data", lang))
    else:
        fig = draw(table, lang=lang)
    with solara.Column(classes=[css]) as main:
        solara.FigureMatplotlib(fig, format="png", dpi=90)
    return main


def _layout(num_components: int) -> list[dict]:
    """Mesa's initial grid, replaced by :data:`LAYOUT` for our three components."""
    return [dict(cell) for cell in LAYOUT[:num_components]]


@solara.component
def Page():
    """The app: one model per browser session, rebuilt by Reset from the controls."""
    model = solara.use_memo(DashboardModel, [])
    solara_viz.make_initial_grid_layout = _layout  # Mesa offers no layout argument
    solara.Style(CSS)
    SolaraViz(
        model,
        components=[(StatusCard, 0), (HeadlineChart, 0), (FlowChart, 0)],
        model_params=model_params(),
        name="tsunagari",
        play_interval=150,
        render_interval=RENDER_WEEKS,
    )

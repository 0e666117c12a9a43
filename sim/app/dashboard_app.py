"""The Solara app of ``tsunagari dashboard``: controls and charts around :class:`DashboardModel`.

Run it with ``tsunagari dashboard``, which serves it through :mod:`sim.app.dashboard_server` (Host
header check against DNS rebinding; the server ends with the command). A bare ``solara run
sim.app.dashboard_app`` works too but has neither safeguard.

The model is a ``mesa.Model`` (:class:`sim.app.dashboard.DashboardModel`); the page is our own
rather
than Mesa's ``SolaraViz``, so that every control speaks the planner's language and shows its
value: the sidebar holds the run controls (Reset rebuilds the model from the settings, Step
advances :data:`RENDER_WEEKS` weeks, play runs on at the chosen interval) and the settings, each
slider with its current value beside its label; the page shows a status card (scale, residents,
date, added levers, errors) and two charts drawn by :mod:`sim.app.dashboard_plots`, the same
functions the reports use. Labels follow the language chosen in the sidebar at once; the status
card and the charts follow the language of the model built by the last Reset.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from functools import lru_cache

import solara
import solara.lab
from matplotlib.figure import Figure

from sim.app.dashboard import (
    DIGITAL_OPTIONS,
    REGIONS,
    DashboardModel,
    DashboardSettings,
    package_names,
)
from sim.app.dashboard_plots import plot_headline, plot_placeholder, plot_service_flows, text

RENDER_WEEKS = 4
"""Weeks advanced by one press of Step (about a month: one survey record)."""

PLAY_INTERVAL_MS = 150
"""Default pause between two Steps while playing (milliseconds)."""

CSS = """
.v-application, .v-application .text-h6, .v-application .body-1 {
  font-family: Roboto, "IPAexGothic", "Hiragino Sans", "Yu Gothic", "Noto Sans CJK JP",
    "Noto Sans JP", sans-serif !important;
}
.tsunagari-title { font-size: 1.25rem; font-weight: 500; }
.tsunagari-control { margin-bottom: 4px; }
.tsunagari-control-head { display: flex; justify-content: space-between; gap: 8px; }
.tsunagari-value { font-weight: 600; white-space: nowrap; }
.tsunagari-caption { font-size: 0.8rem; color: #555; }
"""
"""Japanese fallbacks after Roboto, so that the page's Japanese text renders; control layout."""

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
    "burn_in": {
        "ja": "助走期間 {weeks} 週のあと、パッケージの施策はすべて0週目に開始します。",
        "en": "After a {weeks}-week burn-in, every lever of the package starts at week 0.",
    },
    # the sidebar: run controls
    "controls": {"ja": "実行", "en": "Run"},
    "reset": {"ja": "設定で作り直す", "en": "Reset"},
    "step": {"ja": "{weeks}週進める", "en": "Step"},
    "play": {"ja": "▶ 再生", "en": "▶ Play"},
    "pause": {"ja": "❚❚ 一時停止", "en": "❚❚ Pause"},
    "interval": {"ja": "再生の間隔", "en": "Play interval"},
    "interval.value": {"ja": "{value} ミリ秒", "en": "{value} ms"},
    "step_hint": {
        "ja": "「{weeks}週進める」で約1か月（調査1回分）進みます。",
        "en": "Step advances {weeks} weeks (about a month, one survey record).",
    },
    "week_now": {"ja": "施策開始から {week} 週", "en": "Week {week}"},
    # the sidebar: settings
    "settings": {"ja": "設定（作り直すと反映）", "en": "Settings (applied by Reset)"},
    "lang": {"ja": "言語 / Language", "en": "言語 / Language"},
    "region": {"ja": "地域", "en": "Region"},
    "package": {"ja": "施策パッケージ", "en": "Policy package"},
    "supporters_per_1000": {
        "ja": "つながりサポーター（千人あたり）",
        "en": "Connection supporters per 1,000",
    },
    "supporters_per_1000.value": {"ja": "{value:.1f} 人", "en": "{value:.1f}"},
    "venues_per_zone": {"ja": "居場所（校区あたり）", "en": "Places to belong per zone"},
    "venues_per_zone.value": {"ja": "{value:.2f} か所", "en": "{value:.2f}"},
    "venue_capacity": {"ja": "居場所の定員", "en": "Members per place"},
    "venue_capacity.value": {"ja": "{value:d} 人", "en": "{value:d}"},
    "digital_channel": {"ja": "デジタル相談", "en": "Digital consultation"},
    "scale.label": {"ja": "縮尺（国勢調査人口に対する割合）", "en": "Scale (share of the census)"},
    "scale.value": {"ja": "{value:.1%}", "en": "{value:.1%}"},
    "seed": {"ja": "乱数シード", "en": "Random seed"},
    "wide_area": {"ja": "広域連携", "en": "Wide-area cooperation"},
    "digital.none": {"ja": "なし", "en": "none"},
    "digital.sns": {"ja": "SNS相談", "en": "SNS"},
    "digital.ai_chat": {"ja": "AIチャット相談", "en": "AI chat"},
}
"""Every text of the page, Japanese and English (``{...}`` fields are filled by :func:`ui`)."""


def ui(key: str, lang: str, **fields: object) -> str:
    """Translate a dashboard text and fill its fields."""
    return UI[key][lang if lang in ("ja", "en") else "ja"].format(**fields)


@dataclass(frozen=True)
class SliderSpec:
    """A slider of the settings: its range and step (int sliders have an int step)."""

    low: float
    high: float
    step: float


SLIDERS: dict[str, SliderSpec] = {
    "supporters_per_1000": SliderSpec(0.0, 20.0, 0.5),
    "venues_per_zone": SliderSpec(0.0, 5.0, 0.25),
    "venue_capacity": SliderSpec(5, 100, 5),
    "scale": SliderSpec(0.002, 0.03, 0.002),
}
"""Slider controls, keyword of :class:`DashboardModel` -> range (those of DashboardSettings)."""


def model_params() -> dict[str, object]:
    """The settings' initial values: one per keyword of :class:`DashboardModel`."""
    d = DashboardSettings()
    params: dict[str, object] = {
        "lang": d.lang,
        "region": d.region,
        "package": d.package,
        "supporters_per_1000": d.supporters_per_1000,
        "venues_per_zone": d.venues_per_zone,
        "venue_capacity": d.venue_capacity,
        "digital_channel": d.digital_channel,
        "scale": d.scale,
        "seed": str(d.seed),
        "wide_area": False,
    }
    return params


def label(name: str, lang: str) -> str:
    """The label of a control (``NAME.label`` where ``NAME`` alone is a status text)."""
    return ui(f"{name}.label" if f"{name}.label" in UI else name, lang)


def shown_value(name: str, value: object, lang: str) -> str:
    """A slider's current value as shown beside its label (e.g. ``3.0 人``, ``1.0%``)."""
    number = float(value)  # type: ignore[arg-type]
    shown = round(number) if isinstance(SLIDERS[name].step, int) else number
    return ui(f"{name}.value", lang, value=shown)


def option_labels(name: str, lang: str) -> dict[str, str]:
    """Value -> shown label of a select control (regions and channels in the page's language)."""
    if name == "region":
        return {key: names[lang] for key, names in REGIONS.items()}
    if name == "digital_channel":
        return {key: ui(f"digital.{key}", lang) for key in DIGITAL_OPTIONS}
    if name == "lang":
        return {"ja": "日本語", "en": "English"}
    return {key: key for key in package_names()}


@lru_cache(maxsize=64)
def package_title(name: str, lang: str) -> str:
    """The one-line title of a package of the library in ``lang`` (empty if it has none)."""
    from sim.policy.scenario import load_scenario

    try:
        return str(load_scenario(name).title.get(lang, ""))
    except Exception:  # a caption only: a broken file is reported at Reset
        return ""


def advance(model: DashboardModel, weeks: int = RENDER_WEEKS) -> None:
    """Step the model ``weeks`` times (fewer if it stops at the end of the horizon)."""
    for _ in range(weeks):
        if not model.running:
            break
        model.step()


@solara.component
def SliderControl(name: str, value: float, lang: str, on_value):
    """One slider with its label and, beside it, its current value."""
    spec = SLIDERS[name]
    with solara.Column(classes=["tsunagari-control", f"tsunagari-control-{name}"], gap="0px"):
        with solara.Div(classes=["tsunagari-control-head"]):
            solara.Text(label(name, lang), classes=["tsunagari-label"])
            solara.Text(shown_value(name, value, lang), classes=["tsunagari-value"])
        if isinstance(spec.step, int):
            solara.SliderInt("", value=int(value), min=int(spec.low), max=int(spec.high),
                             step=spec.step, on_value=on_value, thumb_label=False)  # fmt: skip
        else:
            solara.SliderFloat("", value=float(value), min=spec.low, max=spec.high,
                               step=spec.step, on_value=on_value, thumb_label=False)  # fmt: skip


@solara.component
def SelectControl(name: str, value: str, lang: str, on_value):
    """A drop-down whose options are shown in the page's language."""
    labels = option_labels(name, lang)
    back = {label: key for key, label in labels.items()}
    with solara.Column(classes=["tsunagari-control", f"tsunagari-control-{name}"], gap="0px"):
        solara.Select(
            label(name, lang),
            values=list(labels.values()),
            value=labels.get(value, value),
            on_value=lambda label: on_value(back.get(label, label)),
        )


@solara.component
def Sidebar(model: solara.Reactive[DashboardModel], tick: solara.Reactive[int]):
    """Run controls and settings; Reset builds a new model from the settings."""
    params = solara.use_reactive(model_params())
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(PLAY_INTERVAL_MS)
    lang = str(params.value["lang"])

    def set_param(name: str, value: object) -> None:
        params.value = {**params.value, name: value}

    def play_loop() -> None:
        while playing.value and model.value.running:
            time.sleep(interval.value / 1000)
            advance(model.value)
            tick.value += 1
        playing.value = False

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def reset() -> None:
        playing.value = False
        model.value = DashboardModel(**params.value)
        tick.value += 1

    def step() -> None:
        advance(model.value)
        tick.value += 1

    tick.value  # noqa: B018 (read: redraw the buttons and the week after every step)
    running = model.value.running
    with solara.Card(ui("controls", lang), classes=["tsunagari-controls"]):
        with solara.Row(justify="space-between"):
            solara.Button(ui("reset", lang), color="primary", on_click=reset)
            solara.Button(
                ui("pause" if playing.value else "play", lang),
                color="primary",
                on_click=lambda: playing.set(not playing.value),
                disabled=not running,
            )
            solara.Button(
                ui("step", lang, weeks=RENDER_WEEKS),
                color="primary",
                on_click=step,
                disabled=playing.value or not running,
            )
        solara.Text(ui("step_hint", lang, weeks=RENDER_WEEKS), classes=["tsunagari-caption"])
        with solara.Column(classes=["tsunagari-control", "tsunagari-control-interval"], gap="0"):
            with solara.Div(classes=["tsunagari-control-head"]):
                solara.Text(ui("interval", lang), classes=["tsunagari-label"])
                solara.Text(ui("interval.value", lang, value=interval.value),
                            classes=["tsunagari-value"])  # fmt: skip
            solara.SliderInt("", value=interval.value, min=10, max=1000, step=10,
                             on_value=interval.set, thumb_label=False)  # fmt: skip
        solara.Text(ui("week_now", lang, week=model.value.week), classes=["tsunagari-week"])
    with solara.Card(ui("settings", lang), classes=["tsunagari-settings"]):
        p = params.value
        SelectControl("lang", str(p["lang"]), lang, lambda v: set_param("lang", v))
        SelectControl("region", str(p["region"]), lang, lambda v: set_param("region", v))
        SelectControl("package", str(p["package"]), lang, lambda v: set_param("package", v))
        solara.Text(package_title(str(p["package"]), lang), classes=["tsunagari-caption"])
        for name in ("supporters_per_1000", "venues_per_zone", "venue_capacity"):
            SliderControl(name, p[name], lang, lambda v, name=name: set_param(name, v))
        SelectControl("digital_channel", str(p["digital_channel"]), lang,
                      lambda v: set_param("digital_channel", v))  # fmt: skip
        if "wide_area" in p:
            solara.Checkbox(label=ui("wide_area", lang), value=bool(p["wide_area"]),
                            on_value=lambda v: set_param("wide_area", v))  # fmt: skip
        SliderControl("scale", p["scale"], lang, lambda v: set_param("scale", v))
        solara.InputText(ui("seed", lang), value=str(p["seed"]),
                         on_value=lambda v: set_param("seed", v))  # fmt: skip


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
            sep = "、" if lang == "ja" else ", "
            names = sep.join(_describe(lv, lang) for lv in model.added_levers) or ui("none", lang)
            solara.Text(ui("added", lang, levers=names), classes=["tsunagari-levers"])
            solara.Text(ui("burn_in", lang, weeks=model.sim.cfg.burn_in_weeks))
        for note in model.notes:
            solara.Warning(note)
    return main


LEVER_TEXT: dict[str, dict[str, str]] = {
    "supporters": {
        "ja": "つながりサポーター（千人あたり {per_1000:.1f} 人）",
        "en": "connection supporters ({per_1000:.1f} per 1,000)",
    },
    "venue": {
        "ja": "居場所（校区あたり {per_zone:.2f} か所、定員 {capacity} 人）",
        "en": "places to belong ({per_zone:.2f} per zone, {capacity} members)",
    },
    "sns": {"ja": "SNS相談", "en": "SNS consultation"},
    "ai_chat": {"ja": "AIチャット相談", "en": "AI chat consultation"},
    "wide_area": {"ja": "広域連携", "en": "wide-area cooperation"},
}
"""How the status card names a lever added by the settings (id without ``dashboard_``)."""


def _describe(lever, lang: str = "ja") -> str:
    """A lever added by the settings, named in the page's language with its values."""
    key = lever.id.removeprefix("dashboard_")
    if key in LEVER_TEXT:
        fields = {f.name: getattr(lever, f.name) for f in dataclasses.fields(lever)}
        return LEVER_TEXT[key][lang if lang in ("ja", "en") else "ja"].format(**fields)
    return key


def chart_figure(model: DashboardModel, draw) -> Figure:
    """The figure of one chart: the drawing, or a placeholder before a record or after an error."""
    lang = model.settings.lang
    table = model.table()
    if model.error:
        return plot_placeholder(ui("error", lang, msg=model.error))
    if table.empty:
        return plot_placeholder(text("no_data", lang))
    return draw(table, lang=lang)


@solara.component
def Chart(model: DashboardModel, tick: int, draw, css: str):
    """One chart, redrawn only when the model or its records change (not on every slider move)."""
    fig = solara.use_memo(lambda: chart_figure(model, draw), [model, tick])
    with solara.Column(classes=[css]) as main:
        solara.FigureMatplotlib(fig, format="png", dpi=90)
    return main


@solara.component
def Page():
    """The app: one model per browser session, rebuilt by Reset from the settings."""
    first = solara.use_memo(DashboardModel, [])
    model = solara.use_reactive(first)
    tick = solara.use_reactive(0)
    current = model.value
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle("tsunagari")
    with solara.Sidebar():
        Sidebar(model, tick)
    with solara.Column(style={"padding": "8px"}):
        StatusCard(current)
        with solara.Columns([1, 1]):
            Chart(current, tick.value, plot_headline, "tsunagari-headline")
            Chart(current, tick.value, plot_service_flows, "tsunagari-flows")

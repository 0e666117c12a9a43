"""Wide-area cooperation (広域連携): arms over seeds -> per-municipality, equity and map outputs.

Three arms on the same seeds (common random numbers): each municipality alone
(``wide_area_alone``, the reference), a prefecture-led platform (``wide_area_prefecture``) and
clusters by customary area (``wide_area_clusters``). Each run is reduced in its worker to small
tables (the last year's survey shares by municipality, service flows, home -> place flows and
bills), so only a few kB travel back. :func:`analyse` turns them into

* ``municipalities.csv``: per arm and municipality (and the prefecture as a whole): lonely share
  (often/always + sometimes) and no in-person contact over the last year, the paired difference
  against "alone" (mean and 95% interval over seeds), cases served, share served outside the
  home municipality, venue joins outside, capacity offered and used, waiting, and the yearly
  bill under the arm's cost-sharing rule;
* ``equity.csv``: per arm, the gap between the best and worst municipality (max - min) of both
  shares, and the mean paired difference of small towns (town/village or < 10,000 residents)
  and of cities, each with a 95% interval over seeds;
* ``flows.csv``: cross-border home -> place flows per year (cases served, venue joins and
  attendances), mean over seeds;
* ``map_<arm>.png``: municipalities at their shipped coordinates coloured by the paired change
  in the lonely share, with cross-border flows drawn as lines.

``tsunagari wide-area region=tottori seeds=5`` runs it (see :func:`main`).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.params import ConfigError

ARMS = ("wide_area_alone", "wide_area_prefecture", "wide_area_clusters")
REFERENCE = ARMS[0]
LONELY = ("often_always", "sometimes")
SMALL_TOWN = 10_000
DEFAULT_MODEL = ("population.scale=0.03", "years=4", "burn_in_weeks=52")
LABEL = {
    "wide_area_alone": {"ja": "単独", "en": "alone"},
    "wide_area_prefecture": {"ja": "県主導の全県連携", "en": "prefecture-led platform"},
    "wide_area_clusters": {"ja": "圏域ごとの連携", "en": "customary-area clusters"},
}


def summarise(res) -> dict[str, pd.DataFrame]:
    """Small tables of one run (computed in the worker)."""
    t = res.table
    scale = res.config.population.scale
    last = t["week"] >= t["week"].max() - 52  # the last year of monthly records
    dims = t["dimension"].isin(["all", "municipality"])
    survey = t[last & dims & t["measure"].isin([*LONELY, "no_in_person_contact"])]
    share = survey.pivot_table(index="group", columns="measure", values="value", aggfunc="mean")
    share["lonely"] = share[list(LONELY)].sum(axis=1)
    years = res.config.years
    svc = t[(t["dimension"].isin(["all", "municipality"])) & (t["n"] == 0)]
    flows = svc[svc["measure"].isin(["served", "served_outside", "venue_joined",
                                     "venue_joined_outside", "venue_attendances",
                                     "venue_attendances_outside", "served_here",
                                     "capacity_offered", "dropped"])]  # fmt: skip
    per_year = flows.pivot_table(index="group", columns="measure", values="value", aggfunc="sum")
    per_year = per_year / years
    waiting = svc[svc["measure"] == "waiting"].groupby("group")["value"].mean()
    per_year["waiting"] = waiting
    bills = t[(t["measure"] == "cost_yen") & (t["dimension"] == "municipality_bill")]
    bill = bills.groupby("group")["value"].sum() / years
    total = t[(t["measure"] == "cost_yen") & (t["dimension"] == "all")]["value"].sum() / years
    bill["all"] = total
    cross = t[t["dimension"] == "flow"].groupby(["measure", "group"])["value"].sum() / years
    out = share[["lonely", "no_in_person_contact"]].join(per_year, how="outer")
    out["bill_yen_per_year"] = bill
    out.index.name = "municipality"
    del scale
    return {"municipality": out.reset_index(), "flows": cross.rename("per_year").reset_index()}


def run_arms(
    cfg, region, seeds: int, workers: int = 1, arms: tuple[str, ...] = ARMS, evaluator=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every arm on seeds 1..``seeds``; returns (municipality table, flow table).

    Runs go through the experiments' evaluator (:mod:`experiments.evaluators`): serial with one
    worker, else a process pool whose workers end if this process is killed. Each run is the
    base configuration with its seed set, so the numbers depend on neither the evaluator nor
    the worker.

    Args:
        cfg: the composed model configuration (its seed is replaced by 1..``seeds``).
        region: the loaded region.
        seeds: number of seeds.
        workers: worker processes (1: run here).
        arms: scenario names to run.
        evaluator: an :class:`~experiments.evaluators.Evaluator` to use instead.

    Raises:
        RuntimeError: a run failed (its error names the exception and where it was raised).
    """
    from experiments.design import RunSpec
    from experiments.evaluators import Context, ProcessPoolEvaluator, SerialEvaluator
    from sim.policy.scenario import load_scenario

    ctx = Context(base=cfg, region=region, scenarios={arm: load_scenario(arm) for arm in arms},
                  outcomes=[], series=False, summarise=summarise)  # fmt: skip
    specs = [RunSpec(run_id=f"{arm}-seed{seed}", package=arm, sample=0, replicate=seed - 1,
                     seed=seed) for seed in range(1, seeds + 1) for arm in arms]  # fmt: skip
    if evaluator is None:
        evaluator = ProcessPoolEvaluator(workers) if workers > 1 else SerialEvaluator()
    with evaluator:
        done = {out.row["run_id"]: out for out in evaluator.evaluate(ctx, specs)}
    mun, flows = [], []
    for spec in specs:  # in (seed, arm) order, whatever the order the runs finished in
        out = done[spec.run_id]
        if out.row["error"]:
            raise RuntimeError(f"wide-area: run {spec.run_id} failed: {out.row['error']}")
        mun.append(out.summary["municipality"].assign(arm=spec.package, seed=spec.seed))
        flows.append(out.summary["flows"].assign(arm=spec.package, seed=spec.seed))
    return pd.concat(mun, ignore_index=True), pd.concat(flows, ignore_index=True)


def _interval(x: np.ndarray, conf: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-interval over seeds (NaN interval with one seed)."""
    from scipy import stats

    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    m = float(x.mean())
    if x.size < 2:
        return m, np.nan, np.nan
    h = float(stats.t.ppf(0.5 + conf / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - h, m + h


def analyse(mun: pd.DataFrame, flows: pd.DataFrame, region) -> dict[str, pd.DataFrame]:
    """Per-municipality, equity and flow tables (see the module docstring)."""
    info = region.municipalities[["name", "kind", "pop_total"]].rename(columns={"name": "group"})
    names = list(info["group"])
    small = set(info.loc[(info["kind"] != "city") | (info["pop_total"] < SMALL_TOWN), "group"])
    ref = mun[mun["arm"] == REFERENCE].set_index(["seed", "municipality"])
    rows, equity = [], []
    for arm in mun["arm"].unique():
        a = mun[mun["arm"] == arm].set_index(["seed", "municipality"])
        diff = a[["lonely", "no_in_person_contact"]] - ref[["lonely", "no_in_person_contact"]]
        for place in [*names, "all"]:
            sub = a.xs(place, level="municipality")
            d = diff.xs(place, level="municipality")
            row = {"arm": arm, "municipality": place if place != "all" else "(prefecture)"}
            for k in ("lonely", "no_in_person_contact"):
                row[k] = float(sub[k].mean())
                row[f"{k}_diff"], row[f"{k}_diff_lo"], row[f"{k}_diff_hi"] = _interval(d[k])
            for k in ("served", "served_outside", "venue_joined_outside", "capacity_offered",
                      "served_here", "waiting", "dropped", "bill_yen_per_year"):  # fmt: skip
                row[k] = float(sub[k].mean()) if k in sub else np.nan
            row["served_outside_share"] = row["served_outside"] / max(row["served"], 1e-9)
            row["capacity_use"] = row["served_here"] / max(row["capacity_offered"], 1e-9)
            if place != "all":
                row["small_town"] = place in small
                row["bill_per_resident_yen"] = row["bill_yen_per_year"] / float(
                    info.loc[info["group"] == place, "pop_total"].iloc[0]
                )
            rows.append(row)
        for seed in sorted(a.index.get_level_values("seed").unique()):
            s = a.xs(seed, level="seed").loc[names]
            ds = diff.xs(seed, level="seed").loc[names]
            is_small = np.array([n in small for n in names])
            equity.append({
                "arm": arm, "seed": seed,
                "gap_lonely": s["lonely"].max() - s["lonely"].min(),
                "gap_no_in_person_contact": s["no_in_person_contact"].max()
                - s["no_in_person_contact"].min(),
                "small_towns_lonely_diff": ds["lonely"][is_small].mean(),
                "cities_lonely_diff": ds["lonely"][~is_small].mean(),
                "small_towns_no_contact_diff": ds["no_in_person_contact"][is_small].mean(),
                "cities_no_contact_diff": ds["no_in_person_contact"][~is_small].mean(),
            })  # fmt: skip
    per_seed = pd.DataFrame(equity)
    eq = []
    for arm, g in per_seed.groupby("arm", sort=False):
        for col in per_seed.columns[2:]:
            m, lo, hi = _interval(g[col])
            eq.append({"arm": arm, "metric": col, "mean": m, "lo95": lo, "hi95": hi})
    fl = flows.groupby(["arm", "measure", "group"])["per_year"].mean().reset_index()
    # no cross-border flow at all (e.g. a horizon ending before the cooperation starts) leaves
    # an empty table: split into exactly two columns whatever the number of rows
    ends = fl["group"].str.split("→", n=1, expand=True).reindex(columns=[0, 1])
    fl["home"], fl["place"] = ends[0], ends[1]
    return {"municipalities": pd.DataFrame(rows), "equity": pd.DataFrame(eq),
            "equity_per_seed": per_seed, "flows": fl}  # fmt: skip


def map_figure(tables: dict[str, pd.DataFrame], region, arm: str, lang: str = "ja"):
    """Schematic map of one arm: change by municipality and cross-border flows.

    Municipalities sit at their shipped coordinates (``x_km``, ``y_km``), sized by population
    and coloured by the paired change in the lonely share against "alone" (percentage points);
    the arm's 40 largest cross-border flows (cases served plus venue joins per year) are
    arrows from home to the place of service. Returns a matplotlib Figure (no pyplot).
    """
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    from sim.report.plots import use_japanese_font

    use_japanese_font()
    mun = region.municipalities
    xy = dict(zip(mun["name"], zip(mun["x_km"], mun["y_km"], strict=True), strict=True))
    t = tables["municipalities"]
    t = t[(t["arm"] == arm) & (t["municipality"] != "(prefecture)")].set_index("municipality")
    change = 100 * t["lonely_diff"].reindex(mun["name"]).to_numpy(float)
    fig = Figure(figsize=(9, 6.5), layout="constrained")
    ax = fig.add_subplot()
    fl = tables["flows"]
    fl = fl[(fl["arm"] == arm) & fl["measure"].isin(["served", "venue_joined"])]
    fl = fl.groupby(["home", "place"])["per_year"].sum().nlargest(40).reset_index()
    top = max(float(fl["per_year"].max()), 1.0) if len(fl) else 1.0
    for _, r in fl.iterrows():
        (x0, y0), (x1, y1) = xy[r["home"]], xy[r["place"]]
        w = 0.4 + 5 * r["per_year"] / top
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=1,
                    arrowprops={"arrowstyle": "-|>", "lw": w, "color": "#555555", "alpha": 0.5,
                                "shrinkA": 6, "shrinkB": 6,
                                "connectionstyle": "arc3,rad=0.15"})  # fmt: skip
    lim = np.nanmax(np.abs(change)) if np.isfinite(change).any() else 1.0
    lim = max(float(lim), 0.1)
    sizes = 40 + 600 * np.sqrt(mun["pop_total"].to_numpy(float) / 2e5)
    sc = ax.scatter(mun["x_km"], mun["y_km"], s=sizes,
                    c=change, cmap="RdBu_r", norm=TwoSlopeNorm(0, -lim, lim),
                    edgecolor="black", linewidth=0.6, zorder=2)  # fmt: skip
    ja = lang == "ja"
    # a horizontal colour bar under the map: its label has the figure's width, not the map's
    # height, so it is never cut off
    fig.colorbar(sc, ax=ax, orientation="horizontal", location="bottom", shrink=0.7,
                 aspect=40, pad=0.02,
                 label="孤独（しばしば・時々）の変化（%ポイント、単独との差。負は改善）" if ja
                 else "change in lonely share vs alone (percentage points; negative = "
                 "better)")  # fmt: skip
    title = LABEL.get(arm, {}).get(lang, arm)
    ax.set_title(f"{title}：市町村別の変化と越境利用\n（線：他市町村での相談・居場所の利用/年）"
                 if ja else f"{title}: change by municipality and cross-border use\n(lines: "
                 "cases and venue joins per year)")  # fmt: skip
    ax.set_xlabel("km (東西)" if ja else "km (east-west)")
    ax.set_ylabel("km (南北)" if ja else "km (north-south)")
    ax.set_aspect("equal")
    ax.margins(0.08)
    fig.draw_without_rendering()  # settle the layout, so that label positions are final
    fig.set_layout_engine("none")
    place_labels(ax, list(xy), np.array(list(xy.values()), float), np.sqrt(sizes) / 2)
    return fig


LABEL_DIRECTIONS = ((0, -1), (0, 1), (1, 0), (-1, 0), (1, -1), (-1, -1), (1, 1), (-1, 1))
"""Where a name may go around its marker, in order of preference: below, above, right, left,
then the diagonals."""

LABEL_RINGS = (0.0, 8.0, 16.0, 26.0, 38.0)
"""Extra distance (points) between marker and name tried in turn; beyond the first ring the
name gets a leader line to its marker."""


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Overlap area of box ``a`` (x0, y0, x1, y1) with each row of boxes ``b``."""
    w = np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0])
    h = np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def label_offsets(
    points: np.ndarray, radii: np.ndarray, extents: np.ndarray, frame: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (points) of name labels so that they overlap neither each other nor the markers.

    Greedy and deterministic: labels are placed in the order given (largest municipality
    first); each takes, among the positions around its marker (:data:`LABEL_DIRECTIONS` at the
    distances of :data:`LABEL_RINGS`), the one with the least overlap with the markers, the
    labels already placed and the outside of ``frame``, preferring near positions.

    Args:
        points: marker centres in points, shape (n, 2).
        radii: marker radii in points, shape (n,).
        extents: label widths and heights in points, shape (n, 2).
        frame: the area labels must stay inside (x0, y0, x1, y1), in points.

    Returns:
        ``(offsets, moved)``: offsets of the label centres from their markers, shape (n, 2),
        and whether each label sits beyond the first ring (then it needs a leader line).
    """
    markers = np.column_stack([points - radii[:, None], points + radii[:, None]])
    placed = np.empty((0, 4))
    out = np.zeros((len(points), 2))
    moved = np.zeros(len(points), bool)
    for i, ((x, y), r, (w, h)) in enumerate(zip(points, radii, extents, strict=True)):
        others = np.delete(markers, i, axis=0)
        best, best_cost = None, np.inf
        for ring, extra in enumerate(LABEL_RINGS):
            for dx, dy in LABEL_DIRECTIONS:
                gap = r + 2.0 + extra
                cx = x + dx * (gap + w / 2)
                cy = y + dy * (gap + h / 2)
                box = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
                inside = _overlap(box, frame[None, :])[0]
                cost = (
                    _overlap(box, others).sum()
                    + 3.0 * _overlap(box, placed).sum()
                    + 3.0 * (w * h - inside)
                )
                cost += 0.5 * ring + 0.01 * (abs(dx) + abs(dy))  # near and straight first
                if cost < best_cost:
                    best, best_cost = (cx - x, cy - y, box, ring > 0), cost
            if best_cost < 1.0:  # free space found in this ring
                break
        assert best is not None
        out[i] = best[:2]
        moved[i] = best[3]
        placed = np.vstack([placed, best[2]])
    return out, moved


def place_labels(ax, names: list[str], xy: np.ndarray, radii_pt: np.ndarray) -> list:
    """Write each municipality's name near its marker, without overlaps, with leader lines.

    The axes must be laid out already (positions are computed in points on the canvas).
    Larger markers are placed first. A name moved away from its marker gets a thin line to it.

    Args:
        ax: the map's axes.
        names: municipality names.
        xy: marker positions in data coordinates, shape (n, 2).
        radii_pt: marker radii in points.

    Returns:
        The annotation artists, in the order of ``names``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    to_pt = 72.0 / fig.dpi
    points = ax.transData.transform(xy) * to_pt
    texts = [ax.text(0, 0, n, fontsize=8) for n in names]
    extents = np.array([[(e := t.get_window_extent(renderer)).width, e.height] for t in texts])
    extents = extents * to_pt + 2.0  # a little air around each name
    for t in texts:
        t.remove()
    f = ax.bbox.extents * to_pt
    order = np.argsort(-radii_pt, kind="stable")
    offsets, moved = np.zeros_like(points), np.zeros(len(names), bool)
    offsets[order], moved[order] = label_offsets(points[order], radii_pt[order], extents[order], f)
    notes = []
    for name, (x, y), r, (dx, dy), far in zip(names, xy, radii_pt, offsets, moved, strict=True):
        arrow = {"arrowstyle": "-", "lw": 0.6, "color": "#333333", "shrinkA": 0,
                 "shrinkB": r} if far else None  # fmt: skip
        notes.append(ax.annotate(name, (x, y), xytext=(dx, dy), textcoords="offset points",
                                 ha="center", va="center", fontsize=8, zorder=3,
                                 arrowprops=arrow, annotation_clip=False,
                                 bbox={"boxstyle": "square,pad=0.05", "fc": "white",
                                       "ec": "none", "alpha": 0.7}))  # fmt: skip
        notes[-1].set_in_layout(False)
    return notes


def write(out: Path, tables: dict[str, pd.DataFrame], region, lang: str = "ja") -> list[Path]:
    """Write the tables (CSV) and one map per wide-area arm (PNG)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.items():
        p = out / f"{name}.csv"
        df.to_csv(p, index=False, float_format="%.6g", encoding="utf-8")
        paths.append(p)
    for arm in tables["municipalities"]["arm"].unique():
        if arm == REFERENCE:
            continue
        p = out / f"map_{arm}.png"
        map_figure(tables, region, arm, lang).savefig(p, dpi=120, bbox_inches="tight")
        paths.append(p)
    return paths


TEXT: dict[str, dict[str, str]] = {
    "header": {
        "ja": "広域連携の比較：{region}（{seeds}シード、住民の{pct}、{years}年）。差は同じシード"
        "どうしの単独との差の平均、[ ] は95%区間（%ポイント）。",
        "en": "Wide-area cooperation: {region} ({seeds} seeds, {pct} of residents, {years} "
        "years). Differences are paired against alone on the same seeds, mean with 95% "
        "interval [ ] (percentage points).",
    },
    "reference": {
        "ja": "{arm}（基準）：孤独（しばしば＋時々）{lonely}、他市町村で支援 {outside}、"
        "総費用 {cost}",
        "en": "{arm} (reference): lonely (often/always + sometimes) {lonely}, served outside "
        "the home municipality {outside}, total cost {cost}",
    },
    "arm": {
        "ja": "{arm}：孤独 {lonely}、単独との差 {lonely_diff}、孤立（直接会う機会なし）の差 "
        "{contact_diff}、他市町村で支援 {outside}、総費用 {cost}",
        "en": "{arm}: lonely {lonely}, vs alone {lonely_diff}; no in-person contact vs alone "
        "{contact_diff}; served outside {outside}; total cost {cost}",
    },
    "crosses": {"ja": "区間が0をまたぐ", "en": "interval crosses 0"},
    "cost": {"ja": "{oku:.2f}億円/年", "en": "{m:.0f}M yen/year"},
    "gap_lonely": {
        "ja": "市町村間の格差（孤独、最良と最悪の差）",
        "en": "gap best-worst municipality (lonely)",
    },
    "gap_no_in_person_contact": {
        "ja": "市町村間の格差（孤立）",
        "en": "gap best-worst municipality (no in-person contact)",
    },
    "small_towns_lonely_diff": {
        "ja": "小規模町村の変化（孤独）",
        "en": "small towns, change in lonely",
    },
    "cities_lonely_diff": {"ja": "市の変化（孤独）", "en": "cities, change in lonely"},
    "small_towns_no_contact_diff": {
        "ja": "小規模町村の変化（孤立）",
        "en": "small towns, change in no in-person contact",
    },
    "cities_no_contact_diff": {
        "ja": "市の変化（孤立）",
        "en": "cities, change in no in-person contact",
    },
    "note_short": {
        "ja": "wide-area: 注意：連携の開始は {start}。years={years} では測定する最後の52週のうち"
        "{weeks}週しか動かない（効果を見るには years=3 以上）",
        "en": "wide-area: note: the cooperation starts on {start}; with years={years} it runs "
        "for {weeks} of the 52 weeks measured (years=3 or more shows its effect)",
    },
    "written": {
        "ja": "書き出し先 {out}/：{files}（{seconds} 秒）",
        "en": "written to {out}/: {files} ({seconds} s)",
    },
}
"""Console text of the command, Japanese and English (the shape of :data:`sim.core.i18n.TEXT`;
kept here until the command's strings move there)."""


def say(key: str, lang: str, **fields: object) -> str:
    """A console text of :data:`TEXT` in ``lang`` (``ja`` or ``en``) with its fields filled."""
    return TEXT[key][lang if lang in ("ja", "en") else "ja"].format(**fields)


def _pp(value: float) -> str:
    """A share difference (a fraction) in signed percentage points, two decimals."""
    return f"{100 * value:+.2f}"


def interval_text(mean: float, lo: float, hi: float, lang: str, signed: bool = True) -> str:
    """``mean pt [lo, hi]`` in percentage points; says so when the interval crosses zero."""
    unit = "pt" if lang == "ja" else " pp"
    if signed:
        text = f"{_pp(mean)}{unit} [{_pp(lo)}, {_pp(hi)}]"
    else:
        text = f"{100 * mean:.2f}{unit} [{100 * lo:.2f}, {100 * hi:.2f}]"
    if signed and np.isfinite(lo) and np.isfinite(hi) and lo < 0 < hi:
        text += f"（{say('crosses', lang)}）" if lang == "ja" else f" ({say('crosses', lang)})"
    return text


def report(tables: dict[str, pd.DataFrame], lang: str = "ja", header: str | None = None) -> str:
    """Plain-text summary in ``lang``: prefecture change, equity and cost per arm.

    Differences are against "alone" on the same seeds, with their 95% intervals; an interval
    that crosses zero is said to. The reference arm shows its level, cost and gaps only.

    Args:
        tables: the tables of :func:`analyse`.
        lang: ``"ja"`` (default) or ``"en"``.
        header: a first line (see :func:`header_line`), or None.
    """
    t, eq = tables["municipalities"], tables["equity"]
    lines = [header] if header else []
    for arm in t["arm"].unique():
        p = t[(t["arm"] == arm) & (t["municipality"] == "(prefecture)")].iloc[0]
        cost = float(p["bill_yen_per_year"])
        fields = {
            "arm": LABEL.get(arm, {}).get(lang, arm),
            "lonely": f"{100 * p['lonely']:.2f}%",
            "outside": f"{100 * p['served_outside_share']:.1f}%",
            "cost": say("cost", lang, oku=cost / 1e8, m=cost / 1e6),
        }
        if arm == REFERENCE:
            lines.append(say("reference", lang, **fields))
        else:
            fields["lonely_diff"] = interval_text(
                p["lonely_diff"], p["lonely_diff_lo"], p["lonely_diff_hi"], lang
            )
            fields["contact_diff"] = interval_text(
                p["no_in_person_contact_diff"],
                p["no_in_person_contact_diff_lo"],
                p["no_in_person_contact_diff_hi"],
                lang,
            )
            lines.append(say("arm", lang, **fields))
        e = eq[eq["arm"] == arm].set_index("metric")
        for k in e.index:
            gap = k.startswith("gap_")
            if arm == REFERENCE and not gap:
                continue  # the reference against itself: zero by construction
            m, lo, hi = (float(e.loc[k, c]) for c in ("mean", "lo95", "hi95"))
            lines.append(f"   {say(k, lang)}: {interval_text(m, lo, hi, lang, signed=not gap)}")
    return "\n".join(lines)


def header_line(region, cfg, seeds: int, lang: str) -> str:
    """The report's first line: region, seeds, scale and years."""
    name = region.name_ja if lang == "ja" else region.name_en
    pct = f"{100 * cfg.population.scale:g}%"
    return say("header", lang, region=name, seeds=seeds, pct=pct, years=cfg.years)


OPTIONS = {"seeds": "5", "workers": "2", "out": None, "lang": "ja", "region": "tottori"}
"""The wide-area command's own keys and their defaults (every other key is a model override)."""

MAX_SEEDS = 1000
MAX_WORKERS = 256
NOT_HERE = {
    "seed": "seeds=N (the arms run on seeds 1..N)",
    "scenario": "nothing: the command runs its three arms (wide_area_alone, _prefecture, "
    "_clusters)",
}
"""Model keys the command sets itself, with what to use instead."""


def _count(key: str, value: str, high: int) -> int:
    """A whole number in 1..``high`` given as text, or a one-line error naming ``key``."""
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise ConfigError(f"{key}: expected a whole number from 1 to {high}, got {value!r}")
    return int(text)


def parse(overrides: list[str]) -> tuple[dict, list[str]]:
    """Split the command's own keys (checked) from model overrides.

    Returns:
        ``(options, model overrides)``: ``seeds`` and ``workers`` as int, ``region`` appended to
        the model overrides after :data:`DEFAULT_MODEL`.

    Raises:
        ConfigError: one line naming the key at fault.
    """
    opts: dict = dict(OPTIONS)
    model = list(DEFAULT_MODEL)
    for text in overrides:
        key, _, value = text.partition("=")
        bare = key.strip().lstrip("+~")
        if key in opts:
            opts[key] = value
        elif bare in NOT_HERE:
            raise ConfigError(f"{bare}: not a wide-area key; use {NOT_HERE[bare]}")
        else:
            model.append(text)
    opts["seeds"] = _count("seeds", opts["seeds"], MAX_SEEDS)
    opts["workers"] = _count("workers", opts["workers"], MAX_WORKERS)
    if opts["lang"] not in ("ja", "en"):
        raise ConfigError(f"lang: must be 'ja' or 'en', got {opts['lang']!r}")
    if opts["region"].strip() == "japan":
        raise ConfigError(
            "region: wide-area compares the municipalities of one prefecture, not all of Japan; "
            "use region=tottori, region=kochi or region=prefecture region.prefecture=NAME"
        )
    if opts["out"] is not None and not opts["out"].strip():
        raise ConfigError("out: give a folder, e.g. out=outputs/wide_area-tottori")
    model.append(f"region={opts['region']}")
    return opts, model


def check_region(region) -> None:
    """Refuse a region the comparison makes no sense for.

    A region spanning several prefectures, or with fewer than two municipalities, is refused.

    Raises:
        ConfigError: naming ``region``.
    """
    mun = region.municipalities
    if "prefecture_code" in mun and mun["prefecture_code"].nunique() > 1:
        raise ConfigError(
            f"region: '{region.key}' spans {mun['prefecture_code'].nunique()} prefectures; "
            "wide-area compares the municipalities of one prefecture"
        )
    if len(mun) < 2:
        raise ConfigError(
            f"region: '{region.key}' has {len(mun)} municipality; wide-area cooperation needs "
            "at least two"
        )


def check_horizon(cfg, arms: tuple[str, ...] = ARMS, lang: str = "ja") -> str | None:
    """Check every arm's levers start inside the horizon; note a short cooperation period.

    Args:
        cfg: the composed model configuration.
        arms: scenario names to check.
        lang: language of the note (``ja`` or ``en``).

    Returns:
        A note if the wide-area levers run for less than the last year (the year measured),
        else None.

    Raises:
        ConfigError: a lever starts outside the horizon (naming the scenario and lever).
    """
    import datetime as dt

    from sim.policy.levers import WideArea
    from sim.policy.scenario import check_horizon as check
    from sim.policy.scenario import load_scenario

    end = dt.date.fromisoformat(cfg.start_date) + dt.timedelta(weeks=52 * cfg.years)
    measured = end - dt.timedelta(weeks=52)
    late = None
    for arm in arms:
        scenario = load_scenario(arm)
        check(scenario, cfg.start_date, cfg.years)
        for lv in scenario.levers:
            if isinstance(lv, WideArea) and lv.start is not None:
                start = dt.date.fromisoformat(str(lv.start))
                if start > measured and (late is None or start > late):
                    late = start
    if late is None:
        return None
    weeks = (end - late).days // 7
    return say("note_short", lang, start=late.isoformat(), years=cfg.years, weeks=weeks)


def main(overrides: list[str]) -> int:
    """``tsunagari wide-area [region=tottori] [seeds=N] [workers=N] [out=DIR] [lang=ja] [KEY=V]``.

    Other ``KEY=VALUE`` overrides go to the model configuration (defaults:
    ``population.scale=0.03 years=4 burn_in_weeks=52``). Every key is checked before any run.

    Raises:
        ConfigError: bad input (one line naming the key).
        OutputError: the output folder could not be written.
    """
    import sys

    from sim.app.cli import OutputError
    from sim.config import compose_config, load_configured_region

    opts, model = parse(overrides)
    cfg = compose_config(model)  # validates the overrides before any run
    region = load_configured_region(cfg)
    check_region(region)
    note = check_horizon(cfg, lang=opts["lang"])
    default = "wide_area-" + region.key.replace(":", "-").replace("/", "-")
    out = Path(opts["out"] or Path("outputs") / default)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out: '{out}' exists and is not a folder")
    if note:
        print(note, file=sys.stderr)
    t0 = time.perf_counter()
    mun, flows = run_arms(cfg, region, opts["seeds"], opts["workers"])
    tables = analyse(mun, flows, region)
    manifest = {"command": "wide-area", "overrides": model, "seeds": opts["seeds"],
                "arms": list(ARMS), "seconds": round(time.perf_counter() - t0, 1),
                "config": dataclasses.asdict(cfg)}  # fmt: skip
    try:
        paths = write(out, tables, region, opts["lang"])
        (out / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
    except OSError as exc:
        raise OutputError(f"out: cannot write '{out}': {exc.strerror or exc}") from None
    lang = opts["lang"]
    print(report(tables, lang, header_line(region, cfg, opts["seeds"], lang)))
    files = ", ".join([*(p.name for p in paths), "manifest.json"])
    print("\n" + say("written", lang, out=out, files=files, seconds=manifest["seconds"]))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))

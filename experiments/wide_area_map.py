"""The wide-area experiment's maps: change by municipality, cross-border flows, placed names.

:func:`map_figure` draws one arm of :func:`experiments.wide_area.analyse`'s tables;
:func:`label_offsets` and :func:`place_labels` put the municipality names where they overlap
neither each other nor the markers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.wide_area_text import LABEL


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

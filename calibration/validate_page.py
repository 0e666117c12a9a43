"""The page of ``tsunagari validate``: the patterns table, a figure and a Markdown summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.files import write_csv


def _figure(table: pd.DataFrame, path: Path) -> None:
    """Each row's target band scaled to [0, 1], with the model's value as a dot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib_fontja  # noqa: F401  (Japanese glyphs)

    width = (table["target_high"] - table["target_low"]).to_numpy(float)
    pos = (table["model"].to_numpy(float) - table["target_low"].to_numpy(float)) / width
    pos = np.clip(pos, -1.5, 2.5)
    y = np.arange(len(table))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(table) + 1.2))
    ax.axvspan(0, 1, color="#cfe3f3", label="target band")
    colours = np.where(table["pass"].to_numpy(bool), "#1b7837", "#c51b7d")
    ax.scatter(pos, y, c=colours, zorder=3, s=18)
    ax.set_yticks(y, table["pattern"], fontsize=7)
    ax.set_xlim(-1.6, 2.6)
    ax.set_xlabel("model value, in units of the target band (0 = low end, 1 = high end)")
    ax.set_title("tsunagari validate: patterns (green inside the band, magenta outside)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _md(table: pd.DataFrame) -> str:
    head = "| pattern | group | model | target | role | pass |\n|---|---|---|---|---|---|\n"
    rows = [
        f"| {r.pattern} | {r.group} | {r.model:.3f} | [{r.target_low:.3f}, {r.target_high:.3f}]"
        f" | {r.role} | {'yes' if r.pass_ else '**no**'} |"
        for r in table.rename(columns={"pass": "pass_"}).itertuples()
    ]
    return head + "\n".join(rows) + "\n"


def write_page(table: pd.DataFrame, out: Path, overrides: list[str], years: int) -> list[Path]:
    """Write ``patterns.csv``, ``patterns.png`` and ``patterns.md`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    csv, png, md = out / "patterns.csv", out / "patterns.png", out / "patterns.md"
    write_csv(csv, table, float_format="%.6g")
    _figure(table, png)
    command = " ".join(["tsunagari validate", f"years={years}", *overrides])
    n_pass = int(table["pass"].sum())
    text = (
        "# Pattern-oriented validation\n\n"
        f"Made by `{command}`. {n_pass} of {len(table)} patterns are within their target band.\n"
        "Sources of every band are in `patterns.csv`.\n\n"
        "![patterns](patterns.png)\n\n" + _md(table)
    )
    md.write_text(text, encoding="utf-8")
    return [csv, png, md]

"""The age-pyramid figure: start as outline, end filled, PNG written, Japanese glyphs present."""

from __future__ import annotations

import dataclasses
import warnings
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from sim.config import compose_config
from sim.engine.model import LonelinessModel
from sim.engine.population_table import population_rows
from sim.report.pyramid import plot_pyramid, pyramid_counts, write_pyramid_figure

SMALL = ["population.scale=0.005", "years=1", "burn_in_weeks=4", "seed=11"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """Population rows at week 0 and, ten years on, everyone 10 years older and 300 gone."""
    model = LonelinessModel(compose_config(SMALL))
    age = model.pop.age.copy()
    gone = np.random.default_rng(1).choice(np.flatnonzero(age >= 0), 300, replace=False)
    age[gone] = -1
    age[age >= 0] += 10
    later = SimpleNamespace(
        pop=dataclasses.replace(model.pop, age=age),
        res=model.res,
        cfg=model.cfg,
        region=model.region,
    )
    return pd.concat(
        [population_rows(model, 0, "2025-04-06"), population_rows(later, 522, "2035-04-01")],
        ignore_index=True,
    )


def _texts(fig: Figure) -> str:
    """All the text of a figure (titles, labels, tick labels, legends), drawn once."""
    fig.draw_without_rendering()
    return "\n".join(text.get_text() for text in fig.findobj(mpl.text.Text))


def _render(fig: Figure) -> bytes:
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=60)
    return buffer.getvalue()


def test_writes_a_png(table: pd.DataFrame, tmp_path: Path) -> None:
    path = write_pyramid_figure(table, tmp_path / "out" / "pyramid.png", "ja")
    assert path == tmp_path / "out" / "pyramid.png"
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    with pytest.raises(ValueError, match="PNG"):
        write_pyramid_figure(table, tmp_path / "pyramid.pdf", "en")


def test_start_is_outlined_and_end_filled(table: pd.DataFrame) -> None:
    fig = plot_pyramid(table, lang="en")
    (ax,) = fig.axes
    bars = [p for p in ax.patches if isinstance(p, mpl.patches.Rectangle)]
    outline = [p for p in bars if not p.get_fill()]
    filled = [p for p in bars if p.get_fill()]
    assert len(outline) == len(filled) == 42
    _, counts, _ = pyramid_counts(table)
    for patches, week in ((outline, 0), (filled, 522)):
        widths = np.array([p.get_width() for p in patches])
        assert (widths[:21] <= 0).all() and (widths[21:] >= 0).all()  # males left
        assert np.abs(widths).sum() == pytest.approx(counts[week].sum())
    start_total = table.query("measure == 'population' and dimension == 'all'")["value"]
    assert counts[0].sum() == pytest.approx(start_total.iloc[0], abs=0.5)


def test_labels_in_both_languages(table: pd.DataFrame) -> None:
    ja = _texts(plot_pyramid(table, lang="ja"))
    for text in ("人口ピラミッド", "男性", "女性", "65～69歳", "100歳以上", "年齢", "2035年4月1日"):
        assert text in ja, text
    en = _texts(plot_pyramid(table, lang="en"))
    for text in ("Population pyramid", "Male", "Female", "65-69", "100+", "2025-04-06"):
        assert text in en, text
    assert "男性" not in en


def test_japanese_text_renders_with_its_glyphs(table: pd.DataFrame) -> None:
    fig = plot_pyramid(table, lang="ja")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font is a warning
        assert len(_render(fig)) > 0
    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    assert Path(path).name == "ipaexg.ttf"
    font = FT2Font(path)
    missing = {c for c in _texts(fig) if not c.isspace() and font.get_char_index(ord(c)) == 0}
    assert not missing


def test_seeds_are_averaged_and_arms_refused(table: pd.DataFrame) -> None:
    doubled = table.assign(value=2 * table["value"], seed=2)
    both = pd.concat([table.assign(seed=1), doubled], ignore_index=True)
    _, counts, _ = pyramid_counts(both)
    _, single, _ = pyramid_counts(table)
    np.testing.assert_allclose(counts[0], 1.5 * single[0])
    arms = pd.concat([table.assign(arm="a"), table.assign(arm="b")], ignore_index=True)
    with pytest.raises(ValueError, match="several arms"):
        plot_pyramid(arms, lang="ja")
    with pytest.raises(ValueError, match="age5_sex"):
        plot_pyramid(table[table["dimension"] != "age5_sex"], lang="ja")
    with pytest.raises(ValueError, match="language"):
        plot_pyramid(table, lang="fr")

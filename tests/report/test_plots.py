"""sim.report.plots and sim.core.i18n: labels in both languages, PNG output, Japanese glyphs."""

from __future__ import annotations

import re
import warnings
from io import BytesIO
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.core.codes import AGE_GROUPS
from sim.core.i18n import group_label, measure_label, t
from sim.report import plots
from sim.report.plots import plot_by_group, plot_prevalence, save_figure, use_japanese_font

CATEGORY_SHARES = {
    "often_always": 0.05,
    "sometimes": 0.15,
    "occasionally": 0.20,
    "hardly_ever": 0.40,
    "never": 0.20,
}
INDICATOR_SHARES = {
    "ucla3_top": 0.07,
    "no_in_person_contact": 0.11,
    "no_social_activity": 0.45,
    "chronic_loneliness": 0.08,
}
GROUPS = {
    "age_group": [name for name, _, _ in AGE_GROUPS[1:]],
    "sex": ["0", "1"],
    "household_type": ["0", "1", "2", "3", "4"],
    "municipality": ["鳥取市", "米子市", "倉吉市", "境港市"],
}
SEEDS = (11, 12)
WEEKS = range(-8, 70)


def _rows_for(dimension: str, group: str, week: int, seed: int, rng: np.random.Generator) -> list:
    """All measures for one group, week and seed; categories sum to one."""
    shares = np.array(list(CATEGORY_SHARES.values())) * rng.uniform(0.9, 1.1, 5)
    shares /= shares.sum()
    values = dict(zip(CATEGORY_SHARES, shares, strict=True))
    values["any_loneliness"] = shares[:3].sum()
    values |= {m: v * rng.uniform(0.9, 1.1) for m, v in INDICATOR_SHARES.items()}
    values["mean_friends"] = 3.0 + rng.normal(0, 0.1)
    date = (pd.Timestamp("2025-04-06") + pd.Timedelta(weeks=week)).date().isoformat()
    return [(week, date, m, dimension, group, float(v), 1000, seed) for m, v in values.items()]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(2025)
    records = []
    for seed in SEEDS:
        for week in WEEKS:
            records += _rows_for("all", "all", week, seed, rng)
            for dimension, groups in GROUPS.items():
                for group in groups:
                    records += _rows_for(dimension, group, week, seed, rng)
    columns = ["week", "date", "measure", "dimension", "group", "value", "n", "seed"]
    return pd.DataFrame.from_records(records, columns=columns)


def _render(fig: Figure) -> bytes:
    """Render a figure to PNG in memory, as savefig would for a file."""
    buffer = BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _texts(fig: Figure) -> str:
    """All the text of a figure (titles, labels, tick labels, legends), drawn once."""
    fig.draw_without_rendering()
    return "\n".join(text.get_text() for text in fig.findobj(mpl.text.Text))


def test_table_fixture_is_a_valid_tidy_table(table: pd.DataFrame) -> None:
    wide = table[table["measure"].isin(CATEGORY_SHARES)].groupby(
        ["seed", "week", "dimension", "group"]
    )["value"]
    assert np.allclose(wide.sum(), 1.0)
    assert set(table["seed"]) == set(SEEDS)


@pytest.mark.parametrize(
    ("lang", "xlabel", "ylabel", "title"),
    [
        ("ja", "年月", "割合（%）", "孤独感・孤立の推移"),
        ("en", "Date", "Share (%)", "Loneliness and social isolation over time"),
    ],
)
def test_plot_prevalence_labels(
    table: pd.DataFrame, lang: str, xlabel: str, ylabel: str, title: str
) -> None:
    fig = plot_prevalence(table, lang=lang)
    top, bottom = fig.axes
    assert bottom.get_xlabel() == xlabel
    assert top.get_ylabel() == ylabel and bottom.get_ylabel() == ylabel
    assert fig.get_suptitle() == title
    assert top.get_title(loc="left") == t("panel.categories", lang)
    assert bottom.get_title(loc="left") == t("panel.indicators", lang)
    assert "5-95%" in top.get_title(loc="right") and "2" in top.get_title(loc="right")
    legend = [text.get_text() for text in top.get_legend().get_texts()]
    assert legend == [t(m, lang) for m in plots.CATEGORIES]
    legend = [text.get_text() for text in bottom.get_legend().get_texts()]
    assert measure_label("no_in_person_contact", lang, short=True) in legend
    assert len(legend) == len(plots.INDICATORS)
    assert t("policy_start", lang) in _texts(fig)


def test_plot_prevalence_draws_median_and_band_in_percent(table: pd.DataFrame) -> None:
    fig = plot_prevalence(table, lang="en")
    top = fig.axes[0]
    never = top.get_lines()[0]
    rows = table[(table["dimension"] == "all") & (table["measure"] == "never")]
    expected = 100 * rows.groupby("week")["value"].median().to_numpy()
    assert np.allclose(never.get_ydata(), expected)
    assert len(top.collections) == len(plots.CATEGORIES)  # one 5-95% band per line


def test_plot_prevalence_single_seed_has_no_band(table: pd.DataFrame) -> None:
    one = table[table["seed"] == SEEDS[0]].drop(columns="seed")
    fig = plot_prevalence(one, lang="en", title="Custom")
    assert fig.get_suptitle() == "Custom"
    assert not fig.axes[0].collections
    assert fig.axes[0].get_title(loc="right") == ""


def test_plot_prevalence_custom_title_and_date_ticks(table: pd.DataFrame) -> None:
    """Date ticks follow the fiscal year: April and whole steps from it, 「2025年度」 under 4月."""
    fig = plot_prevalence(table, lang="ja", title="鳥取県")
    text = _texts(fig)
    assert "鳥取県" in text
    assert "4月\n2025年度" in text and "4月\n2026年度" in text
    assert "2,025" not in text and "2025年\n" not in text
    months = {int(m) for m in re.findall(r"(\d+)月", text)}
    assert 4 in months and all((m - 4) % 2 == 0 for m in months)  # a 2-month step from April


def test_one_date_axis_formatter_for_every_figure(table: pd.DataFrame) -> None:
    """The report's arms figure ticks the same fiscal months as the prevalence figure."""
    from sim.report.figures import plot_arms_over_time
    from sim.report.plots import fiscal_month_ticks

    assert fiscal_month_ticks("2025-04-01", "2030-03-01") == (6, (4, 10))
    assert fiscal_month_ticks("2025-04-01", "2026-12-01") == (2, (2, 4, 6, 8, 10, 12))
    assert fiscal_month_ticks("2025-04-01", "2025-12-01") == (1, tuple(range(1, 13)))
    share = table[(table["dimension"] == "all") & (table["measure"] == "often_always")]
    series = share[["date", "value"]].assign(arm="baseline")
    en = _texts(plot_arms_over_time(series, lang="en"))
    assert "Apr\nFY2025" in en
    ja = _texts(plot_arms_over_time(series, lang="ja"))
    assert "4月\n2025年度" in ja


@pytest.mark.parametrize(
    ("dimension", "lang", "first", "ylabel"),
    [
        ("age_group", "ja", "16～19歳", "年齢階級"),
        ("age_group", "en", "16-19", "Age group"),
        ("sex", "ja", "男性", "性別"),
        ("household_type", "en", "single-person", "Household type"),
    ],
)
def test_plot_by_group_labels(
    table: pd.DataFrame, dimension: str, lang: str, first: str, ylabel: str
) -> None:
    fig = plot_by_group(table, dimension, lang=lang)
    (ax,) = fig.axes
    ticks = [label.get_text() for label in ax.get_yticklabels()]
    assert ticks[0] == first
    assert len(ticks) == len(GROUPS[dimension])
    assert ax.get_xlabel() == t("axis.share", lang)
    assert ax.get_ylabel() == ylabel
    assert ax.get_title(loc="left").startswith(t("any_loneliness", lang))


def test_plot_by_group_values_last_week_and_last_52(table: pd.DataFrame) -> None:
    rows = table[(table["dimension"] == "municipality") & (table["measure"] == "any_loneliness")]
    last = rows[rows["week"] == rows["week"].max()].groupby("group")["value"].median()
    fig = plot_by_group(table, "municipality", lang="ja")
    (ax,) = fig.axes
    widths = {
        label.get_text(): patch.get_width()
        for label, patch in zip(ax.get_yticklabels(), ax.patches, strict=True)
    }
    assert widths == pytest.approx((100 * last).to_dict())
    assert list(widths.values()) == sorted(widths.values(), reverse=True)
    assert "2026年8月2日時点" in ax.get_title(loc="left")

    recent = rows[rows["week"] > rows["week"].max() - 52]
    mean52 = recent.groupby(["group", "seed"])["value"].mean().groupby("group").median()
    fig = plot_by_group(table, "municipality", lang="en", at="last_52_weeks")
    (ax,) = fig.axes
    widths = {
        label.get_text(): patch.get_width()
        for label, patch in zip(ax.get_yticklabels(), ax.patches, strict=True)
    }
    assert widths == pytest.approx((100 * mean52).to_dict())
    assert "mean of the last 52 weeks" in ax.get_title(loc="left")


def test_plot_by_group_non_share_measure(table: pd.DataFrame) -> None:
    fig = plot_by_group(table, "sex", "mean_friends", lang="en")
    (ax,) = fig.axes
    assert ax.get_xlabel() == "Mean number of friends"
    assert all(2.5 < patch.get_width() < 3.5 for patch in ax.patches)


def test_save_figure_writes_png(table: pd.DataFrame, tmp_path: Path) -> None:
    path = save_figure(plot_prevalence(table, lang="ja"), tmp_path / "out" / "prevalence.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    with pytest.raises(ValueError, match="PNG"):
        save_figure(plot_prevalence(table, lang="ja"), tmp_path / "prevalence.pdf")


@pytest.mark.parametrize("dimension", ["all", "age_group", "sex", "household_type", "municipality"])
def test_japanese_figures_render_without_missing_glyphs(
    table: pd.DataFrame, dimension: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if dimension == "all":
            fig = plot_prevalence(table, lang="ja")
        else:
            fig = plot_by_group(table, dimension, lang="ja", at="last_52_weeks")
        assert len(_render(fig)) > 0


def test_latin_only_font_fails_the_glyph_check(
    table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The glyph check above can fail: without the Japanese font, rendering raises."""
    monkeypatch.setattr(plots, "use_japanese_font", lambda: "DejaVu Sans")
    with mpl.rc_context({"font.family": "DejaVu Sans"}), warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_prevalence(table, lang="ja")
        with pytest.raises(UserWarning, match="missing from font"):
            _render(fig)


def test_use_japanese_font_is_idempotent() -> None:
    from matplotlib import font_manager

    name = use_japanese_font()
    count = len(font_manager.fontManager.ttflist)
    assert use_japanese_font() == name == "IPAexGothic"
    assert len(font_manager.fontManager.ttflist) == count
    assert mpl.rcParams["font.sans-serif"].count(name) == 1
    assert mpl.rcParams["font.sans-serif"][0] == name
    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    assert Path(path).name == "ipaexg.ttf"


def test_unknown_language_raises(table: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="'fr'"):
        t("any_loneliness", "fr")
    with pytest.raises(ValueError, match="'fr'"):
        group_label("sex", "0", "fr")
    with pytest.raises(ValueError, match="'fr'"):
        plot_prevalence(table, lang="fr")
    with pytest.raises(ValueError, match="'fr'"):
        plot_by_group(table, "sex", lang="fr")


def test_translations_and_group_labels() -> None:
    assert t("often_always", "ja") == "しばしばある・常にある"
    assert t("no_in_person_contact", "ja").startswith("同居していない家族や友人")
    assert measure_label("no_in_person_contact", "ja", short=True) == "直接会う機会なし"
    assert measure_label("ucla3_top", "ja", short=True) == "UCLA孤独感尺度 10-12点"
    assert t("not_a_key", "en") == "not_a_key"
    assert group_label("sex", "1", "ja") == "女性"
    assert group_label("sex", 0, "en") == "male"
    assert group_label("household_type", "3", "ja") == "ひとり親と子供"
    assert group_label("age_group", "80+", "ja") == "80歳以上"
    assert group_label("municipality", "鳥取市", "en") == "鳥取市"
    assert group_label("household_type", "9", "en") == "9"
    assert group_label("all", "all", "ja") == "全体"


def test_input_errors(table: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="several arms"):
        plot_prevalence(table.assign(arm=np.where(table["seed"] == SEEDS[0], "a", "b")))
    with pytest.raises(ValueError, match="no rows"):
        plot_by_group(table, "sex", "not_a_measure")
    with pytest.raises(ValueError, match="at="):
        plot_by_group(table, "sex", at="first")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no prevalence"):
        plot_prevalence(table[table["dimension"] != "all"])

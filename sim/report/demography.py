"""Demography in the reports: population change, the changing-baseline note, counts and shares.

With ``demography=dynamic`` residents die, are born, move and age during a run, so an effect is
measured against a baseline whose population changes. These functions say so (ja/en) and give the
headline both as a share (of living residents aged 16+ at each record) and as the number of
residents it represents (real-population equivalent). They read the ``population`` rows of the
monthly table (:mod:`sim.engine.population_table`) and never write files.
:func:`add_findings` and :func:`add_section` put them into a run's or a paired run's report,
:func:`compare_sentence` into a comparison's, and :func:`population_line` is the console line of
``tsunagari run``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import pandas as pd

from sim.core.i18n import check_lang
from sim.core.measures import LONELY
from sim.report.dates import format_date
from sim.report.formats import fmt_int, fmt_pct

#: Words of this module: key -> {"ja": ..., "en": ...}.
LABELS: dict[str, dict[str, str]] = {
    "sec.population": {"ja": "人口の変化", "en": "Population change"},
    "pyramid.caption": {
        "ja": "人口ピラミッド（5歳階級・男女別、実人口換算）：線は開始時、塗りは終了時",
        "en": "Population pyramid (five-year bands by sex, real equivalent): outline at the "
        "start, filled at the end",
    },
    "indicator": {"ja": "指標", "en": "Indicator"},
    "start": {"ja": "開始時", "en": "Start"},
    "end": {"ja": "終了時", "en": "End"},
    "change": {"ja": "変化", "en": "Change"},
    "population": {"ja": "人口（人）", "en": "Population"},
    "adults": {"ja": "16歳以上人口（人）", "en": "Population aged 16+"},
    "share_65plus": {"ja": "65歳以上の割合（%）", "en": "Share aged 65+ (%)"},
    "share_75plus": {"ja": "75歳以上の割合（%）", "en": "Share aged 75+ (%)"},
    "households": {"ja": "一般世帯数", "en": "General households"},
    "one_person_65plus_households": {
        "ja": "65歳以上の単独世帯数",
        "en": "One-person households aged 65+",
    },
}  # fmt: skip

#: Words that mark the changing-baseline sentence (tests look for them).
CHANGING_BASELINE = {"ja": "変化する人口", "en": "changing baseline"}


class PopulationChange(NamedTuple):
    """Living residents (real-population equivalent) at the first and the last record."""

    start_date: str
    start: float
    end_date: str
    end: float

    @property
    def change(self) -> float:
        """Relative change, end / start - 1 (nan when the start is 0)."""
        return self.end / self.start - 1.0 if self.start > 0 else math.nan


def label(key: str, lang: str) -> str:
    """A word of this module in ``lang``."""
    return LABELS[key][check_lang(lang)]


def _rows(table: pd.DataFrame, measure: str, dimension: str = "all") -> pd.DataFrame:
    if table is None or table.empty or "measure" not in table:
        return table.iloc[:0] if table is not None else pd.DataFrame()
    dims = table["dimension"] if "dimension" in table else pd.Series("all", index=table.index)
    return table[(table["measure"] == measure) & (dims == dimension)]


def population_change(table: pd.DataFrame) -> PopulationChange | None:
    """Population at the first and the last record week (mean over seeds); None if not recorded.

    Args:
        table: a monthly table (or a series of ``week, date, measure, value``) holding
            ``population`` rows of dimension ``all``.
    """
    rows = _rows(table, "population")
    if rows.empty:
        return None
    by_week = rows.groupby("week")["value"].mean()
    first, last = int(by_week.index.min()), int(by_week.index.max())

    def date(week: int) -> str:
        d = rows.loc[rows["week"] == week, "date"] if "date" in rows else pd.Series(dtype=str)
        return str(d.iloc[0]) if len(d) else ""

    return PopulationChange(date(first), float(by_week[first]), date(last), float(by_week[last]))


def adults_last_year(table: pd.DataFrame) -> float:
    """Mean population aged 16+ (real equivalent) over the last 52 weeks; nan if not recorded."""
    rows = _rows(table, "population", "age_group")
    rows = rows[rows["group"].astype(str) != "0-15"]
    if rows.empty:
        return math.nan
    rows = rows[rows["week"] > rows["week"].max() - 52]
    return float(rows.groupby("week")["value"].sum().mean())


def share_last_year(table: pd.DataFrame, measures=LONELY) -> float:
    """Mean over the last 52 weeks of the summed shares (e.g. often/always + sometimes)."""
    rows = pd.concat([_rows(table, m) for m in measures])
    if rows.empty:
        return math.nan
    rows = rows[rows["week"] > rows["week"].max() - 52]
    return float(rows.groupby(["week", "measure"])["value"].mean().groupby("week").sum().mean())


def about(x: float) -> str:
    """A count rounded to three significant figures for reading (``478,483`` -> ``478,000``).

    A run simulates a sample (``population.scale``), so more digits would claim a precision the
    count does not have.
    """
    if x is None or not math.isfinite(x) or x == 0:
        return fmt_int(x)
    places = 2 - math.floor(math.log10(abs(x)))  # digits after the point for 3 figures
    return fmt_int(round(x, min(places, 0)))


def _when(date: str, lang: str) -> str:
    return format_date(pd.Timestamp(date), lang) if date else "-"


def changing_baseline_sentence(change: PopulationChange | None, lang: str) -> str:
    """The note that effects are measured against a changing population (dynamic runs only).

    Args:
        change: the population at the start and the end (None: the sentence without numbers).
        lang: ``ja`` or ``en``.
    """
    ja = check_lang(lang) == "ja"
    if change is not None:
        a, b = _when(change.start_date, lang), _when(change.end_date, lang)
        pct = f"{100 * change.change:+.1f}%"
        head = (
            f"人口は{a}の約{fmt_int(change.start)}人から{b}の約{fmt_int(change.end)}人へ{pct}"
            "変わります（実人口換算、死亡・出生・転出入・加齢による）。"
            if ja
            else f"The population changes from about {fmt_int(change.start)} on {a} to about "
            f"{fmt_int(change.end)} on {b} ({pct}, real equivalent; deaths, births, moves and "
            "ageing). "
        )
    else:
        head = (
            "人口は死亡・出生・転出入・加齢によって変わります（demography=dynamic）。"
            if ja
            else "The population changes by deaths, births, moves and ageing (demography=dynamic). "
        )
    if ja:
        return (
            head + f"施策の効果は、この{CHANGING_BASELINE['ja']}を基準（ベースライン）として"
            "測っています。割合（孤独の割合など）は各時点で生存している16歳以上の住民に占める"
            "割合、人数と延べ人年（孤独な住民の数など）は絶対数です。"
            "人口変化の影響を除くには demography=static と比べてください。"
        )
    return (
        head + f"Effects are measured against this {CHANGING_BASELINE['en']}: shares (such as "
        "the lonely share) are of the living residents aged 16+ at each record, while counts "
        "and person-years (such as lonely residents) are absolute. Compare with "
        "demography=static to see how much comes from demographic change."
    )


def headline_count_sentence(table: pd.DataFrame, lang: str) -> str | None:
    """The headline share as a number of residents: lonely (and often/always) in the last year.

    None when the table records no population by age group.
    """
    ja = check_lang(lang) == "ja"
    adults = adults_last_year(table)
    lonely, often = share_last_year(table), share_last_year(table, ("often_always",))
    if not (math.isfinite(adults) and math.isfinite(lonely)):
        return None
    if ja:
        text = (
            f"この割合は16歳以上の住民約{about(adults)}人（実人口換算、最後の12か月の平均）の"
            f"約{about(lonely * adults)}人にあたります"
        )
        if math.isfinite(often):
            text += f"（うち「しばしば・常に」は{fmt_pct(often)}、約{about(often * adults)}人）"
        return text + "。"
    text = (
        f"That share is about {about(lonely * adults)} of the about {about(adults)} "
        "residents aged 16+ (real equivalent, mean of the last 12 months)"
    )
    if math.isfinite(often):
        text += f"; {fmt_pct(often)} felt lonely often/always, about {about(often * adults)}"
    return text + "."


def paired_count_sentence(base: pd.DataFrame, arm: pd.DataFrame, lang: str) -> str | None:
    """The lonely share of both arms in the last year, in points and in residents (arm - base)."""
    ja = check_lang(lang) == "ja"
    b, a = share_last_year(base), share_last_year(arm)
    nb, na = adults_last_year(base), adults_last_year(arm)
    if not all(math.isfinite(x) for x in (a, b, na, nb)):
        return None
    points = 100 * (a - b)
    fewer = b * nb - a * na  # lonely residents, baseline - package (positive: fewer)
    if ja:
        return (
            f"最後の12か月の孤独（しばしば・時々）の割合は現状{fmt_pct(b)}、施策{fmt_pct(a)}"
            f"（差{points:+.2f}ポイント）で、孤独な住民は約{about(abs(fewer))}人"
            f"{'少なく' if fewer >= 0 else '多く'}なります（16歳以上、実人口換算）。"
        )
    return (
        f"In the last 12 months the lonely share (often or sometimes) is {fmt_pct(b)} in the "
        f"baseline and {fmt_pct(a)} with the package ({points:+.2f} points): about "
        f"{about(abs(fewer))} {'fewer' if fewer >= 0 else 'more'} lonely residents aged 16+ "
        "(real equivalent)."
    )


def is_dynamic(config: dict | None) -> bool:
    """Whether a run's (or an experiment's) resolved config had ``demography=dynamic``."""
    return isinstance(config, dict) and config.get("demography") == "dynamic"


def indicator_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Population indicators (columns) at the first and the last record and their change (rows).

    Counts are real-population equivalents, shares in percent of the living residents.
    """
    weeks = _rows(table, "population")["week"]
    if weeks.empty:
        return pd.DataFrame()
    first, last = int(weeks.min()), int(weeks.max())
    cols = {}
    for key, measure, dim in (
        ("population", "population", "all"),
        ("adults", "population", "age_group"),
        ("share_65plus", "share_65plus", "all"),
        ("share_75plus", "share_75plus", "all"),
        ("households", "households", "all"),
        ("one_person_65plus_households", "one_person_65plus_households", "all"),
    ):
        r = _rows(table, measure, dim)
        if key == "adults":
            r = r[r["group"].astype(str) != "0-15"]
        if r.empty:
            continue
        by_week = r.groupby(["week", "group"])["value"].mean().groupby("week").sum()
        k = 100.0 if key.startswith("share") else 1.0
        a, b = k * float(by_week.get(first, math.nan)), k * float(by_week.get(last, math.nan))
        cols[label(key, lang)] = [a, b, b - a]
    when = [label(c, lang) for c in ("start", "end", "change")]
    out = pd.DataFrame({label("indicator", lang): when, **cols})
    out.attrs["decimals"] = {c: 1 if "%" in c else 0 for c in cols}
    return out


def population_body(doc, table: pd.DataFrame) -> str:
    """The report section: the pyramid (start outline, end filled) and the indicator table."""
    from sim.report.doc import _Missing
    from sim.report.pyramid import plot_pyramid

    try:
        fig = plot_pyramid(table, lang=doc.lang)
    except ValueError:
        raise _Missing from None
    tab = indicator_table(table, doc.lang)
    return doc.figure(fig, label("pyramid.caption", doc.lang)) + doc.table(
        "population", label("sec.population", doc.lang), tab
    )


def add_findings(doc, man: dict, table: pd.DataFrame, base: pd.DataFrame | None = None) -> None:
    """Add the demography findings to a run's (or a paired run's) report.

    The headline's count goes after the first finding; with ``demography=dynamic`` the
    changing-baseline sentence follows it. A paired run (``base`` given) compares the lonely
    share of both arms in points and residents; the changing baseline is the baseline arm's
    population.
    """
    lang = doc.lang
    if base is None:
        count = headline_count_sentence(table, lang)
    else:
        count = paired_count_sentence(base, table, lang)
    extra = [count] if count else []
    if is_dynamic(man.get("config")):
        change = population_change(table if base is None else base)
        extra.append(changing_baseline_sentence(change, lang))
    doc.findings[1:1] = extra


def add_section(doc, man: dict, table: pd.DataFrame) -> None:
    """Add the population section (pyramid and indicators) when the run was dynamic."""
    if is_dynamic(man.get("config")):
        title = label("sec.population", doc.lang)
        doc.section("population", title, lambda: population_body(doc, table))


def compare_sentence(
    model: dict | None, series: pd.DataFrame, runs: pd.DataFrame, baseline: str, lang: str
) -> str | None:
    """The changing-baseline sentence of a comparison of packages (None when static).

    Args:
        model: the experiment's resolved model config (its manifest's ``model``).
        series: the stored monthly series of every run (``run_id, week, date, measure, value``);
            the population numbers are given when it holds ``population`` rows.
        runs: the runs table (``run_id, package``).
        baseline: the baseline package, whose runs (mean over seeds) give the population.
        lang: ``ja`` or ``en``.
    """
    if not is_dynamic(model):
        return None
    change = None
    if len(series) and len(runs) and {"run_id", "package"} <= set(runs.columns):
        ids = runs.loc[runs["package"] == baseline, "run_id"]
        change = population_change(series[series["run_id"].isin(ids)])
    return changing_baseline_sentence(change, lang)


def population_line(table: pd.DataFrame, lang: str) -> str | None:
    """One console line: the population at the first and the last record (None if not recorded)."""
    change = population_change(table)
    if change is None:
        return None
    a, b = _when(change.start_date, lang), _when(change.end_date, lang)
    pct = f"{100 * change.change:+.1f}%"
    if check_lang(lang) == "ja":
        return (
            f"人口（実人口換算）: {a} {fmt_int(change.start)}人 → {b} {fmt_int(change.end)}人"
            f"（{pct}）"
        )
    return (
        f"population (real equivalent): {a} {fmt_int(change.start)} -> {b} "
        f"{fmt_int(change.end)} ({pct})"
    )


__all__ = [
    "CHANGING_BASELINE",
    "LABELS",
    "PopulationChange",
    "about",
    "add_findings",
    "add_section",
    "adults_last_year",
    "changing_baseline_sentence",
    "compare_sentence",
    "headline_count_sentence",
    "indicator_table",
    "is_dynamic",
    "paired_count_sentence",
    "population_body",
    "population_change",
    "population_line",
    "share_last_year",
]

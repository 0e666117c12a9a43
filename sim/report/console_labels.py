"""Console labels of the commands' comparison tables (ja/en): headers, outcome names, numbers.

Used by ``tsunagari run`` (:mod:`sim.app.run_command`) and by the experiment commands
(:mod:`experiments.commands`), so both print the same words.
"""

from __future__ import annotations

from sim.report import labels as rt

#: Console labels of comparison columns and units: key -> {"ja": ..., "en": ...}.
HEADERS: dict[str, dict[str, str]] = {
    "outcome": {"ja": "指標", "en": "outcome"},
    "funder": {"ja": "負担者", "en": "funder"},
    "baseline": {"ja": "ベースライン", "en": "baseline"},
    "arm": {"ja": "施策あり", "en": "scenario"},
    "package": {"ja": "施策パッケージ", "en": "package"},
    "pairs": {"ja": "組数", "en": "pairs"},
    "averted": {"ja": "回避（ベースライン－施策）", "en": "averted (baseline - scenario)"},
    "added": {"ja": "追加費用（施策－ベースライン）", "en": "added cost (scenario - baseline)"},
    "person-years": {"ja": "延べ人年", "en": "person-years"},
    "yen": {"ja": "円", "en": "yen"},
    "share": {"ja": "割合", "en": "share"},
    "total": {"ja": "合計", "en": "Total"},
}


def head(key: str, lang: str) -> str:
    """A console label of :data:`HEADERS` (``key`` itself when unknown)."""
    entry = HEADERS.get(key)
    return key if entry is None else entry["ja" if lang == "ja" else "en"]


def outcome_label(stem: str, lang: str) -> str:
    """Name an outcome column stem (``lonely_person_years``, ``cost_npo_yen``) for people."""
    if stem.endswith("_person_years"):
        return rt.label("py_" + stem.removesuffix("_person_years"), lang)
    if stem.startswith("cost_") and stem.endswith("_yen"):
        funder = stem.removeprefix("cost_").removesuffix("_yen")
        return head("total", lang) if funder == "total" else rt.funder_label(funder, lang)
    return rt.label(stem.removesuffix("_share"), lang)


def short_label(what: str, lang: str) -> str:
    """Short name of a person-years outcome (``lonely``): the report's ``.short`` label."""
    short = rt.label(f"{what}.short", lang)
    return short if short != f"{what}.short" else outcome_label(f"{what}_person_years", lang)


def number(value: object, unit: str) -> str:
    """A cell of the console comparison: thousands separators, ``-`` for a missing value."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "-"
    if x != x or x in (float("inf"), float("-inf")):
        return "-"
    if unit == "share":
        return f"{x:.4f}"
    return f"{x:,.1f}" if unit == "person-years" else f"{x:,.0f}"

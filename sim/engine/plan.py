"""The step plan: every state change of a week, in order, as data.

Each row names a component (:mod:`sim.engine.component`: ``init``, ``step``, ``finalize``), what
it reads and writes on the model, and its cadence (when in the run it is due). The model builds
one component per row and steps the due rows in this order every week; nothing else changes the
state. :func:`format_plan` prints the plan as a table (``tsunagari plan``), and
:data:`STEP_ORDER` (the numbered steps of MODEL.md) is derived from it.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.engine.component import Component
from sim.engine.processes import CompactTies, Contacts, LifeEvents, Loneliness, Ties
from sim.engine.processes.demography import Demography
from sim.engine.processes.settling import Settling
from sim.engine.steps import (
    Clock,
    Consultation,
    Costs,
    HelpSeeking,
    MunicipalFigures,
    Noticing,
    Outreach,
    RebuildGroups,
    Record,
    ResetHorizon,
    ResetPeriod,
    SupportShift,
    UpdateLevers,
)


@dataclass(frozen=True)
class Cadence:
    """When a row is due.

    Attributes:
        en: description in English.
        ja: description in Japanese.
        due: ``due(model) -> bool``, evaluated just before the row would run.
    """

    en: str
    ja: str
    due: Callable[[Any], bool]


WEEKLY = Cadence("every week", "毎週", lambda m: True)
HORIZON_START = Cadence("once, as week 0 starts", "第0週の開始時に1回", lambda m: m.week == 0)
EVERY_4TH = Cadence(
    "every 4th step (step % 4 == 3)",
    "4ステップごと (step % 4 == 3)",
    lambda m: m.step_index % 4 == 3,
)
POLICY_WEEKS = Cadence(
    "every week from week 0, with demography=dynamic",
    "第0週から毎週 (demography=dynamic のとき)",
    lambda m: m.week >= 0 and getattr(m, "alive", None) is not None,
)
RECORD_WEEKS = Cadence(
    "record weeks (monthly, from week 0)",
    "記録週 (毎月、第0週から)",
    lambda m: m.week >= 0 and m.recorder.is_record_week(m.week),
)
BURN_IN = Cadence("burn-in weeks", "バーンインの週", lambda m: m.week < 0)
EVERY_13TH = Cadence(
    "every 13th step (after the clock)",
    "13ステップごと (時計の後)",
    lambda m: m.step_index % 13 == 0,
)

#: Kinds of rows, with their Japanese names.
KINDS = {
    "reset": "リセット",
    "service": "サービス",
    "process": "過程",
    "housekeeping": "整理",
    "record": "記録",
}


@dataclass(frozen=True)
class Row:
    """One row of the plan.

    Attributes:
        name: the row's name (also the name of its component).
        kind: ``process``, ``service``, ``housekeeping``, ``reset`` or ``record``.
        component: the component class (one instance per model).
        cadence: when the row is due.
        model_step: the step number in MODEL.md, or "" for a row that is plumbing.
        ja: short description in Japanese (the English one is the component's docstring).
    """

    name: str
    kind: str
    component: type[Component]
    cadence: Cadence
    model_step: str
    ja: str

    @property
    def reads(self) -> tuple[str, ...]:
        """Model attributes the row reads."""
        return self.component.reads

    @property
    def writes(self) -> tuple[str, ...]:
        """Model attributes the row changes."""
        return self.component.writes

    @property
    def en(self) -> str:
        """Short description in English (first line of the component's docstring)."""
        return (self.component.__doc__ or "").strip().splitlines()[0]


def _row(kind: str, component: type[Component], cadence: Cadence, step: str, ja: str) -> Row:
    return Row(component.name, kind, component, cadence, step, ja)


#: The weekly step plan, in order.
PLAN: tuple[Row, ...] = (
    _row("reset", ResetHorizon, HORIZON_START, "", "バーンインの流れと費用を捨てる"),
    _row("service", UpdateLevers, WEEKLY, "", "今週有効な施策を更新する"),
    _row("process", Demography, POLICY_WEEKS, "0", "人口動態 (死亡・出生・転出入・世帯・加齢)"),
    _row("process", LifeEvents, WEEKLY, "1", "ライフイベント"),
    _row("process", Contacts, WEEKLY, "2", "接触 (世帯、職場・学校、近所、友人、地域活動)"),
    _row("process", Ties, WEEKLY, "3", "友人関係の強化・減衰・形成"),
    _row("housekeeping", CompactTies, EVERY_4TH, "3", "転居者・退職者の関係を弱め、弱い関係を除く"),
    _row("service", Outreach, WEEKLY, "2b", "居場所の開催、共同参加による関係、見守り訪問"),
    _row("service", SupportShift, WEEKLY, "", "支援と役割による孤独感の目標値の移動"),
    _row("process", Loneliness, WEEKLY, "4", "潜在的な孤独感の更新"),
    _row("service", Noticing, WEEKLY, "5", "気づきとつなぎ"),
    _row("service", HelpSeeking, WEEKLY, "6", "相談行動と周知"),
    _row("service", Consultation, WEEKLY, "7", "相談支援の提供"),
    _row("service", Costs, WEEKLY, "8", "費用と負担"),
    _row("record", Record, RECORD_WEEKS, "9", "月次の調査と集計 (観察のみ)"),
    _row("record", MunicipalFigures, RECORD_WEEKS, "", "市町村エージェントの数値を更新"),
    _row("reset", ResetPeriod, RECORD_WEEKS, "", "記録した期間のサービス集計をゼロに戻す"),
    _row("record", Settling, BURN_IN, "", "バーンイン最後の1年が定常かを観察 (観察のみ)"),
    _row("housekeeping", Clock, WEEKLY, "", "ステップ番号と週を進める"),
    _row("housekeeping", RebuildGroups, EVERY_13TH, "", "職場・学校グループの名簿を作り直す"),
)

#: The numbered steps of MODEL.md, in plan order (rows that are plumbing are left out).
STEP_ORDER: tuple[str, ...] = tuple(
    r.name for r in PLAN if r.model_step and r.kind != "housekeeping"
)


def plan_rows() -> list[dict[str, str]]:
    """The plan as plain records (for tables, docs and tests)."""
    return [
        {
            "name": r.name,
            "kind": r.kind,
            "model_step": r.model_step,
            "cadence": r.cadence.en,
            "reads": ", ".join(r.reads),
            "writes": ", ".join(r.writes),
            "en": r.en,
            "ja": r.ja,
        }
        for r in PLAN
    ]


_HEADERS = {
    "en": ("#", "step", "row", "kind", "when", "what", "reads", "writes"),
    "ja": ("#", "手順", "行", "種類", "いつ", "内容", "読む", "書く"),
}


def _width(text: str) -> int:
    """Display width in a terminal (East Asian wide characters count two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_plan(lang: str = "en") -> str:
    """The step plan as a text table, one row per state change, with what it reads and writes.

    Args:
        lang: ``en`` or ``ja``.

    Returns:
        The table (no trailing newline).
    """
    if lang not in _HEADERS:
        raise ValueError(f"lang must be 'en' or 'ja', not {lang!r}")
    head = _HEADERS[lang]
    cells = [
        (
            str(i),
            r.model_step,
            r.name,
            r.kind if lang == "en" else KINDS[r.kind],
            getattr(r.cadence, lang),
            r.en if lang == "en" else r.ja,
        )
        for i, r in enumerate(PLAN, 1)
    ]
    widths = [max(_width(c[k]) for c in [head[:6], *cells]) for k in range(6)]
    indent = " " * (sum(widths[:2]) + 4)
    lines = ["  ".join(_pad(h, w) for h, w in zip(head[:6], widths, strict=True)).rstrip()]
    for row, c in zip(PLAN, cells, strict=True):
        lines.append("  ".join(_pad(x, w) for x, w in zip(c, widths, strict=True)).rstrip())
        for label, names in ((head[6], row.reads), (head[7], row.writes)):
            text = f"{label}: {', '.join(names) or '-'}"
            lines += textwrap.wrap(
                text, 100, initial_indent=indent, subsequent_indent=indent + "  "
            )
    return "\n".join(lines)

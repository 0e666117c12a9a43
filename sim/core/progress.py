"""Console output of long commands: aligned tables, progress lines and run-time notes.

Japanese text takes two columns per character on a terminal, so tables are aligned by display
width (:func:`display_width`, from ``unicodedata.east_asian_width``), not by ``len``.
:class:`Progress` shows runs done, rate and time left: on a terminal as one rewritten line, in
a log (standard error not a terminal) as a full line at most every ``every_s`` seconds and when
the last run finishes. :func:`plan_line` says, before a long job starts, how many runs it will
make and about how long they will take.
"""

from __future__ import annotations

import math
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from typing import TextIO

#: Seconds between two progress lines in a log (not a terminal).
LOG_EVERY_S = 10.0


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide (East Asian W/F) characters count 2.

    Combining marks and zero-width format characters count 0.
    """
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` display columns (``<`` left, ``>`` right)."""
    fill = " " * max(0, width - display_width(text))
    return text + fill if align == "<" else fill + text


def table_lines(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    align: str,
    *,
    indent: str = "  ",
    gap: int = 2,
) -> list[str]:
    """A text table whose columns line up under wide (Japanese) characters.

    Args:
        headers: one header per column.
        rows: rows of already formatted cells (one per column).
        align: one character per column, ``<`` (left) or ``>`` (right).
        indent: text before every line.
        gap: spaces between columns.

    Returns:
        The header line, a rule of ``-`` as wide as the table, and one line per row (trailing
        spaces removed).

    Raises:
        ValueError: a row or ``align`` does not have one entry per header.
    """
    n = len(headers)
    if len(align) != n or any(len(r) != n for r in rows):
        raise ValueError("table_lines: every row and align need one entry per header")
    widths = [max([display_width(h), *(display_width(r[i]) for r in rows)]) for i, h in
              enumerate(headers)]  # fmt: skip
    sep = " " * gap

    def line(cells: Sequence[str]) -> str:
        text = sep.join(pad(c, w, a) for c, w, a in zip(cells, widths, align, strict=True))
        return (indent + text).rstrip()

    rule = indent + "-" * (sum(widths) + gap * (n - 1))
    return [line(headers), rule, *(line(r) for r in rows)]


def duration(seconds: float, lang: str = "en") -> str:
    """A duration for people: ``45s``, ``3m05s``, ``1h02m`` (``45秒``, ``3分05秒``, ``1時間02分``).

    ``?`` when not finite.
    """
    if not math.isfinite(seconds):
        return "?"
    m, s = divmod(max(0, round(seconds)), 60)
    h, m = divmod(m, 60)
    if lang == "ja":
        return f"{h}時間{m:02d}分" if h else (f"{m}分{s:02d}秒" if m else f"{s}秒")
    return f"{h}h{m:02d}m" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


def about(seconds: float, lang: str = "en") -> str:
    """A rough duration: ``under a minute``, ``about 45 min``, ``about 2.5 h`` (or Japanese)."""
    ja = lang == "ja"
    if not math.isfinite(seconds):
        return "不明" if ja else "unknown"
    if seconds < 60:
        return "1分未満" if ja else "under a minute"
    minutes = seconds / 60
    if minutes < 90:
        return f"約{round(minutes)}分" if ja else f"about {round(minutes)} min"
    return f"約{minutes / 60:.1f}時間" if ja else f"about {minutes / 60:.1f} h"


def plan_line(
    command: str,
    *,
    todo: int,
    total: int,
    seconds_per_run: float,
    workers: int,
    cores: int | None = None,
    measured: bool = False,
    lang: str = "en",
    unit: str = "runs",
) -> str:
    """Say how many runs a job will make and about how long they take, before it starts.

    Args:
        command: the command's name (first word of the line).
        todo: runs still to make.
        total: runs of the whole job (``total - todo`` are already done and kept).
        seconds_per_run: seconds one run takes on one worker.
        workers: workers the job starts.
        cores: cores of this computer: at most this many runs go at once (None: no limit).
        measured: ``seconds_per_run`` is the median of this job's finished runs (else an
            estimate from the population size and the number of weeks).
        lang: ``ja`` or ``en``.
        unit: what a run is called in English (``runs``, ``evaluations``).
    """
    workers = max(1, int(workers))
    parallel = min(workers, cores) if cores else workers
    waves = math.ceil(todo / parallel) if todo else 0
    left = waves * seconds_per_run
    ja = lang == "ja"
    kept = total - todo
    if ja:
        done = f"（うち{kept:,}回は実行済み）" if kept else ""
        how = "これまでの実測" if measured else "人口と週数からの見積もり"
        head = f"{command}: {total:,}回の実行{done}"
        if not todo:
            return f"{head}、すべて実行済み"
        return (
            f"{head}、残り{todo:,}回を{workers}並列で{about(left, 'ja')}"
            f"（1回あたり約{seconds_per_run:.1f}秒、{how}）"
        )
    done = f" ({kept:,} already done)" if kept else ""
    how = "measured so far" if measured else "estimated from residents and weeks"
    head = f"{command}: {total:,} {unit}{done}"
    if not todo:
        return f"{head}, nothing left to run"
    return (
        f"{head}; {todo:,} to run on {workers} worker{'s' if workers > 1 else ''}, "
        f"{about(left)} (about {seconds_per_run:.1f} s per {unit.removesuffix('s')}, {how})"
    )


class Progress:
    """Runs done, rate and time left, for a terminal or a log.

    On a terminal the line is rewritten in place after every run. Otherwise (a log file or a
    pipe) a full line is written at most every ``every_s`` seconds, and once more when the last
    run finishes, so a log shows how far a long job got and how long it still needs.

    Args:
        total: runs of the whole job.
        done: runs already done before this invocation (not used for the rate).
        stream: where to write (standard error by default).
        mode: ``auto`` (as above), ``on`` (same as auto) or ``off`` (nothing).
        label: text before the counts (e.g. the command's name).
        lang: ``ja`` or ``en``.
        every_s: seconds between two lines in a log.
        clock: the time source (seconds; for tests).
    """

    def __init__(
        self,
        total: int,
        done: int = 0,
        *,
        stream: TextIO | None = None,
        mode: str = "auto",
        label: str = "",
        lang: str = "en",
        every_s: float = LOG_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.done, self.skipped = total, done, done
        self.stream = stream if stream is not None else sys.stderr
        self.show = mode != "off"
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label, self.lang, self.every_s, self.clock = label, lang, every_s, clock
        self.t0 = self.last = clock()
        self.failed = 0
        self._open = False

    def text(self) -> str:
        """The current progress text (without line ending)."""
        elapsed = self.clock() - self.t0
        new = self.done - self.skipped
        rate = new / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else math.nan
        head = f"{self.label} " if self.label else ""
        finished = self.done >= self.total
        if self.lang == "ja":
            kept = f"、{self.skipped:,}回は実行済み" if self.skipped else ""
            fail = f"、{self.failed:,}回失敗" if self.failed else ""
            took, rest = duration(elapsed, "ja"), duration(left, "ja")
            end = f"完了（{took}）" if finished else f"残り約{rest}"
            counts = f"{self.done:,}/{self.total:,}回{kept}{fail}"
            return f"{head}{counts}、毎分{rate * 60:.1f}回、{end}"
        kept = f" ({self.skipped:,} already done)" if self.skipped else ""
        fail = f", {self.failed:,} failed" if self.failed else ""
        end = f"done in {duration(elapsed)}" if finished else f"{duration(left)} left"
        counts = f"{self.done:,}/{self.total:,} runs{kept}{fail}"
        return f"{head}{counts}, {rate * 60:.1f} runs/min, {end}"

    def tick(self, new: int = 1, failed: int | None = None, label: str | None = None) -> None:
        """``new`` more runs finished (``failed``: failures so far; ``label``: new label)."""
        self.done += new
        if failed is not None:
            self.failed = failed
        if label is not None:
            self.label = label
        if not self.show or new <= 0:
            return
        if self.tty:
            self.stream.write(f"\r{self.text()}   ")
            self.stream.flush()
            self._open = True
            return
        now = self.clock()
        if now - self.last >= self.every_s or self.done >= self.total:
            self.last = now
            self.stream.write(self.text() + "\n")
            self.stream.flush()

    def skip(self, n: int) -> None:
        """``n`` more runs were already done (resumed: counted, but not in the rate)."""
        self.done += n
        self.skipped += n

    def close(self) -> None:
        """End the rewritten terminal line (a log's lines are already complete)."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

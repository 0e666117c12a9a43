"""Console helpers: display width, aligned tables, progress for terminals and logs, plan line."""

from __future__ import annotations

import io

import pytest

from sim.app.console import (
    Progress,
    about,
    display_width,
    duration,
    pad,
    plan_line,
    table_lines,
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("abc") == 3
    assert display_width("鳥取市") == 6
    assert display_width("UCLA 10-12点") == 12
    assert display_width("ｱｲｳ") == 3  # half-width katakana: one column each
    assert display_width("（計）") == 6  # full-width brackets
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    assert pad("市", 5) == "市   " and pad("市", 5, ">") == "   市"
    assert pad("長すぎる", 2) == "長すぎる"  # never cut


def test_table_columns_line_up_under_japanese_headers() -> None:
    headers = ["指標", "ベースライン", "施策あり", "回避（ベースライン－施策）"]
    rows = [["孤独の延べ人年", "66,375.0", "66,000.0", "375.0"], ["UCLA", "1.0", "2.0", "-1.0"]]
    lines = table_lines(headers, rows, "<>>>")
    assert len(lines) == 4 and set(lines[1].strip()) == {"-"}
    # right-aligned last column: every line ends at the same display column
    assert len({display_width(line) for line in lines}) == 1
    # every number ends where its header ends
    ends = [display_width(lines[0][: lines[0].index(h) + len(h)]) for h in headers[1:]]
    for line, row in zip(lines[2:], rows, strict=True):
        at = len("  " + row[0])
        for cell, end in zip(row[1:], ends, strict=True):
            at = line.index(cell, at) + len(cell)
            assert display_width(line[:at]) == end, (line, cell)
    with pytest.raises(ValueError):
        table_lines(["a", "b"], [["1"]], "<>")


def test_durations_for_people() -> None:
    assert duration(45) == "45s" and duration(185) == "3m05s" and duration(3720) == "1h02m"
    assert duration(185, "ja") == "3分05秒" and duration(float("nan")) == "?"
    assert about(30) == "under a minute" and about(45 * 60) == "about 45 min"
    assert about(3 * 3600, "ja") == "約3.0時間"


def test_plan_line_says_how_many_runs_and_how_long() -> None:
    # the bare Morris screening: 410 runs of about 13.6 s on two cores
    line = plan_line("sensitivity", todo=410, total=410, seconds_per_run=13.6, workers=2)
    assert line.startswith("sensitivity: 410 runs; 410 to run on 2 workers, about 46 min")
    assert "estimated from residents and weeks" in line
    # more workers than cores: the time assumes the cores
    slow = plan_line("compare", todo=40, total=50, seconds_per_run=60, workers=8, cores=2,
                     measured=True, lang="ja")  # fmt: skip
    assert "50回の実行（うち10回は実行済み）" in slow and "8並列で約20分" in slow
    assert "これまでの実測" in slow
    done = plan_line("compare", todo=0, total=5, seconds_per_run=1.0, workers=2)
    assert done.endswith("nothing left to run")


def test_progress_in_a_log_writes_a_line_every_ten_seconds_and_at_the_end() -> None:
    clock, log = Clock(), io.StringIO()
    progress = Progress(10, 2, stream=log, label="compare:", every_s=10.0, clock=clock)
    for _ in range(7):
        clock.now += 3.0  # one run every 3 s
        progress.tick()
    progress.close()
    lines = log.getvalue().splitlines()
    # seven runs in 21 s: one line (at 12 s), not one a run
    assert lines == ["compare: 6/10 runs (2 already done), 20.0 runs/min, 12s left"]
    clock.now += 3.0
    progress.tick(failed=1)
    progress.close()
    assert log.getvalue().splitlines()[-1] == (
        "compare: 10/10 runs (2 already done), 1 failed, 20.0 runs/min, done in 24s"
    )
    assert "\r" not in log.getvalue()


def test_progress_on_a_terminal_rewrites_one_line_and_off_writes_nothing() -> None:
    clock, tty = Clock(), Tty()
    progress = Progress(3, stream=tty, lang="ja", clock=clock)
    for _ in range(3):
        clock.now += 2.0
        progress.tick()
    progress.close()
    text = tty.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "3/3回、毎分30.0回、完了（6秒）" in text
    quiet = io.StringIO()
    off = Progress(3, stream=quiet, mode="off", clock=clock)
    off.tick()
    off.close()
    assert quiet.getvalue() == ""

"""The file-writing helpers of sim/core/files.py: folders written whole (staged, then renamed),
atomic single files, leftovers of killed writers removed, spreadsheet cells that never run as
formulas, and CSV numbers without scientific notation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.core import files


def test_staged_folder_replaces_only_when_complete(tmp_path: Path) -> None:
    final = tmp_path / "out"
    final.mkdir()
    (final / "old.txt").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), files.staged_folder(final) as staged:
        (staged / "new.txt").write_text("new", encoding="utf-8")
        raise RuntimeError("killed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in final.iterdir()) == ["old.txt"]
    with files.staged_folder(final) as staged:
        (staged / "new.txt").write_text("new", encoding="utf-8")
        assert sorted(p.name for p in final.iterdir()) == ["old.txt"]  # not yet in place
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_replace_folder_without_renameat2(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    final = tmp_path / "out"
    final.mkdir()
    (final / "old.txt").write_text("old", encoding="utf-8")
    with files.staged_folder(final) as staged:
        (staged / "new.txt").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_leftovers_of_killed_writers_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    final = tmp_path / "out[1]"
    gone = tmp_path / f".out[1].partial-{int(dead.stdout)}"
    kept = tmp_path / f".out[1].partial-{os.getppid()}"  # a live process: may still be writing
    other = tmp_path / f".other.partial-{int(dead.stdout)}"
    for d in (gone, kept, other):
        (d / "sub").mkdir(parents=True)
    assert files.remove_leftovers(final) == [gone]
    assert not gone.exists() and kept.exists() and other.exists()


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("old", encoding="utf-8")

    def broken(p: Path) -> None:
        assert p.parent == tmp_path and p.name.startswith(".")
        assert not p.name.endswith(".csv")  # globs such as *.csv never see a half-written file
        p.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        files.atomic_write(path, broken)
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


EVIL = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "plain", "a=b"]


def test_escape_formulas_touches_only_text_cells() -> None:
    df = pd.DataFrame({
        "name": EVIL,
        "value": [-1.5, -2.0, 3.0, np.nan, 0.0, 1.0, 2.0],
        "n": [-1, 2, 3, 4, 5, 6, 7],
        "cat": pd.Categorical(["-x", "y", "y", "y", "y", "y", "=z"]),
        "=col": ["ok"] * 7,
    })  # fmt: skip
    out = files.escape_formulas(df)
    assert list(out["name"]) == ["'" + v for v in EVIL[:5]] + ["plain", "a=b"]
    pd.testing.assert_series_equal(out["value"], df["value"])
    pd.testing.assert_series_equal(out["n"], df["n"])
    assert list(out["cat"]) == ["'-x", "y", "y", "y", "y", "y", "'=z"]
    assert list(out.columns) == ["name", "value", "n", "cat", "'=col"]
    assert list(df["name"]) == EVIL  # the input is not changed
    safe = pd.DataFrame({"a": ["x", "y"], "b": [-1, 2]})
    assert files.escape_formulas(safe) is safe


def test_csv_and_xlsx_write_formulas_as_text(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    df = pd.DataFrame({"name": EVIL, "value": [-1.5, -2, 3, 4, 5, 6, 7]})
    csv = files.write_csv(tmp_path / "t.csv", df)
    back = pd.read_csv(csv)
    assert list(back["name"].str.removeprefix("'")) == EVIL
    assert all(v.startswith("'") for v in back["name"][:5])
    assert list(back["value"]) == [-1.5, -2, 3, 4, 5, 6, 7]
    xlsx = files.write_xlsx(tmp_path / "t.xlsx", [("sheet", df), ("again", df)])
    book = openpyxl.load_workbook(xlsx)
    for sheet in book.worksheets:
        cells = [row[0] for row in sheet.iter_rows(min_row=2)]
        assert [c.value for c in cells] == EVIL
        assert {c.data_type for c in cells} == {"s"}
        numbers = [row[1] for row in sheet.iter_rows(min_row=2)]
        assert [c.value for c in numbers] == [-1.5, -2, 3, 4, 5, 6, 7]
        assert {c.data_type for c in numbers} == {"n"}


def test_csv_numbers_have_no_scientific_notation(tmp_path: Path) -> None:
    """Fixed decimals where a table says so (yen as integers), positional digits elsewhere."""
    df = pd.DataFrame(
        {"yen": [2.7604e8, -0.4, np.nan], "share": [1.5e-5, 0.123456789, 1e22], "n": [1, 2, 3]}
    )
    df.attrs["decimals"] = {"yen": 0}
    files.write_csv(tmp_path / "t.csv", df, float_format="%.6g")
    text = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert text.splitlines() == [
        "yen,share,n",
        "276040000,0.000015,1",
        "0,0.123457,2",
        ",10000000000000000000000,3",
    ]
    back = pd.read_csv(tmp_path / "t.csv")
    np.testing.assert_allclose(back["share"], [1.5e-5, 0.123457, 1e22])

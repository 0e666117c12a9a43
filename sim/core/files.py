"""Writing files safely: atomic files and folders, and spreadsheet cells that cannot run.

Every file the project writes goes through :func:`atomic_write`: the data are written to a hidden
temporary name in the same folder, flushed to disk and renamed into place, so a reader (or a
killed process) never sees a half-written file under its final name.

A whole output folder goes through :func:`staged_folder`: everything is written into a hidden
sibling folder, which replaces the final folder only once it is complete (one ``renameat2``
exchange on Linux; two renames elsewhere). A run killed mid-write leaves the previous folder
untouched, and a rerun never leaves files of an earlier run beside the new ones.

Spreadsheets: a text cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return) is a formula to Excel and LibreOffice. :func:`write_csv` prefixes such a cell with a
single quote; :func:`write_xlsx` stores it as a string cell, never a formula. Numeric cells
(negative numbers included) are written unchanged.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

#: First characters that make a spreadsheet application read a text cell as a formula.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: Suffixes a temporary file keeps (their writers refuse other names: PNG figures, Excel).
KEEP_SUFFIX: tuple[str, ...] = (".png", ".xlsx")

_PARTIAL = ".partial-"


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Write a file atomically: ``write(tmp)`` to a hidden temporary name, then rename.

    The temporary name ends in ``.tmp`` (so globs such as ``runs/*.parquet`` never match a
    half-written file), except for the suffixes of :data:`KEEP_SUFFIX`, whose writers check
    the name. It is removed if ``write`` fails.

    Args:
        path: the final file.
        write: writes the file at the path it is given.

    Returns:
        ``path``.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if path.suffix.lower() in KEEP_SUFFIX:
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write bytes to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda p: p.write_bytes(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


# ---------------------------------------------------------------- spreadsheet cells


def escape_formula(value: object) -> object:
    """A text value that a spreadsheet would run as a formula, prefixed with ``'``.

    Anything else (numbers, other text, missing values) is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """The table with every formula-like text cell and column name escaped.

    Only text columns (object, string and categorical) are looked at, through their distinct
    values, so a large table costs little; numeric columns are never changed. The input is not
    modified; it is returned as is when nothing needs escaping.
    """
    out = df
    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            bad = [c for c in cats if escape_formula(c) is not c]
            if bad:
                out = out.copy() if out is df else out
                out.isetitem(i, s.cat.rename_categories({c: escape_formula(c) for c in bad}))
        elif pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            swap = {v: escape_formula(v) for v in pd.unique(s) if escape_formula(v) is not v}
            if swap:
                out = out.copy() if out is df else out
                out.isetitem(i, s.map(_replacer(swap)))
    names = [escape_formula(c) for c in df.columns]
    if any(n is not c for n, c in zip(names, df.columns, strict=True)):
        out = out.copy() if out is df else out
        out.columns = names
    return out


def _replacer(swap: dict) -> Callable[[object], object]:
    return lambda v: swap.get(v, v) if isinstance(v, str) else v


def write_csv(path: str | os.PathLike, df: pd.DataFrame, **kwargs: object) -> Path:
    """Write a table as CSV atomically, with formula-like text cells escaped and no exponents.

    Numbers are never written in scientific notation: a float column listed in
    ``df.attrs["decimals"]`` (column -> digits after the point; 0 writes an integer) is written
    with that many decimals; any other float column with the ``float_format`` of ``%.Ng`` keeps
    N significant digits but in positional notation (``276040000``, not ``2.7604e+08``), and
    without a ``float_format`` the shortest exact positional form. Missing values are empty.

    Args:
        path: the CSV file.
        df: the table.
        **kwargs: passed to :meth:`pandas.DataFrame.to_csv` (``index=False`` by default).

    Returns:
        ``path``.
    """
    kwargs.setdefault("index", False)
    float_format = kwargs.pop("float_format", None)
    safe = format_numbers(escape_formulas(df), df.attrs.get("decimals") or {}, float_format)
    return atomic_write(path, lambda p: safe.to_csv(p, **kwargs))


def format_numbers(
    df: pd.DataFrame, decimals: dict[str, int], float_format: object = None
) -> pd.DataFrame:
    """The table with its float columns as text in positional notation (see :func:`write_csv`).

    Args:
        df: the table (not modified).
        decimals: column -> digits after the decimal point (0: an integer).
        float_format: ``%.Ng`` (N significant digits) for the other float columns, or None.

    Returns:
        A copy whose float columns are strings ('' for a missing value); other columns as is.
    """
    sig = None
    if isinstance(float_format, str):
        m = re.fullmatch(r"%\.(\d+)g", float_format)
        if not m:
            raise ValueError(f"write_csv: unsupported float_format {float_format!r} (use %.Ng)")
        sig = int(m.group(1))
    out = df
    for i, col in enumerate(df.columns):
        s = df.iloc[:, i]
        if not pd.api.types.is_float_dtype(s.dtype):
            continue
        x = s.to_numpy(dtype=float) + 0.0  # -0.0 becomes 0.0
        if col in decimals:
            digits = int(decimals[col])
            x = np.where(np.round(x, digits) == 0, 0.0, x)  # no "-0.0"
            text = _column_text(x, f"%.{digits}f", lambda v, d=digits: f"{v:.{d}f}")
        elif sig is not None:
            text = _column_text(x, f"%.{sig}g", lambda v: _positional(v, sig))
        else:
            text = _column_text(x, "%r", lambda v: _positional(v, None))
        out = out.copy() if out is df else out
        out.isetitem(i, pd.Series(text, index=df.index, dtype=object))
    return out


def _column_text(x: np.ndarray, fmt: str, fix) -> np.ndarray:
    """Format a float array with ``fmt``; cells with an exponent are redone by ``fix``."""
    finite = np.isfinite(x)
    text = np.full(x.shape, "", dtype=object)
    if fmt == "%r":
        text[finite] = [repr(v) for v in x[finite].tolist()]
    else:
        text[finite] = np.char.mod(fmt, x[finite]).astype(object)
    text[np.isposinf(x)], text[np.isneginf(x)] = "inf", "-inf"
    has_exp = np.char.find(text.astype(str), "e") >= 0 if len(text) else np.zeros(0, bool)
    for j in np.flatnonzero(has_exp):
        text[j] = fix(float(x[j]))
    return text


def _positional(v: float, sig: int | None) -> str:
    """``v`` in positional notation: ``sig`` significant digits, or the shortest exact form."""
    if not math.isfinite(v):
        return "" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if sig is None:
        return np.format_float_positional(v, trim="-")
    return np.format_float_positional(v, precision=sig, unique=False, fractional=False, trim="-")


def write_xlsx(path: str | os.PathLike, sheets: list[tuple[str, pd.DataFrame]]) -> Path:
    """Write tables as the sheets of one Excel workbook atomically; text is never a formula.

    Cell text is kept as is (no quote added) but every cell that openpyxl would store as a
    formula is stored as a string, so the workbook runs nothing when opened.

    Args:
        path: the ``.xlsx`` file.
        sheets: (sheet name, up to 31 characters; table) pairs.

    Returns:
        ``path``.
    """

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as book:
            for name, df in sheets:
                df.to_excel(book, index=False, sheet_name=name[:31])
            for sheet in book.book.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        if cell.data_type == "f":
                            cell.data_type = "s"

    return atomic_write(path, write)


# ---------------------------------------------------------------- whole folders


class NotPlacedError(OSError):
    """A complete staged folder could not be renamed into place; it is kept.

    Attributes:
        staged: the kept folder holding the complete outputs.
    """

    def __init__(self, errno: int | None, strerror: str | None, final: str, staged: Path):
        super().__init__(errno, strerror or "cannot rename the folder into place", final)
        self.staged = staged


@contextlib.contextmanager
def staged_folder(final: str | os.PathLike) -> Iterator[Path]:
    """Build a folder beside ``final`` and put it in place only when the block succeeds.

    Yields an empty hidden sibling folder (``.NAME.partial-PID``). When the block ends without
    an exception the staged folder replaces ``final`` as a whole; on an exception it is
    removed and ``final`` is left as it was. If the rename itself fails, the complete staged
    folder is kept and :class:`NotPlacedError` names it. Staged folders left by processes that
    no longer exist (killed) are removed first.

    Args:
        final: the folder to create or replace (its parents are created).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(final)
    staged = final.parent / f".{final.name}{_PARTIAL}{os.getpid()}"
    if staged.exists():
        shutil.rmtree(staged)
    staged.mkdir()
    try:
        yield staged
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    try:
        replace_folder(staged, final)
    except OSError as exc:  # the outputs are complete: keep them where they are
        raise NotPlacedError(exc.errno, exc.strerror, os.fspath(final), staged) from exc


def replace_folder(new: Path, final: Path) -> None:
    """Put folder ``new`` at ``final``, replacing (and removing) any folder already there.

    On Linux the two are exchanged in one atomic ``renameat2(RENAME_EXCHANGE)``, so ``final``
    always names a complete folder; elsewhere the old folder is first renamed aside.

    Args:
        new: a complete folder in the same parent as ``final``.
        final: the destination.
    """
    if not final.exists() and not final.is_symlink():
        os.replace(new, final)
        return
    if _exchange(new, final):
        old = new  # the old contents now live at the staged name
    else:
        old = final.parent / f".{final.name}.replaced-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        os.replace(final, old)
        os.replace(new, final)
    shutil.rmtree(old, ignore_errors=True)


def remove_leftovers(final: str | os.PathLike) -> list[Path]:
    """Remove staged folders of ``final`` left by processes that no longer exist.

    Returns:
        The folders removed.
    """
    final = Path(final)
    removed = []
    if not final.parent.is_dir():
        return removed
    for p in final.parent.glob(f".{_glob_escape(final.name)}{_PARTIAL}*"):
        pid = p.name.rpartition(_PARTIAL)[2]
        if pid.isdigit() and not _alive(int(pid)) and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def is_empty_folder(path: Path) -> bool:
    """Whether ``path`` is missing or an empty folder."""
    return not path.exists() or (path.is_dir() and next(path.iterdir(), None) is None)


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux ``renameat2``; False where that is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    c_int, c_path = ctypes.c_int, ctypes.c_char_p
    renameat2.argtypes = [c_int, c_path, c_int, c_path, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0

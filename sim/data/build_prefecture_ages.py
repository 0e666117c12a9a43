"""Derive ``prefecture_age_sex_2020.csv`` from the 2020 census table 第2-1表 (e-Stat xlsx).

Run from the project root: ``python sim/data/build_prefecture_ages.py PATH/table2-1.xlsx``.
The simulation never runs this script; it reads the committed CSV. The xlsx is read with the
standard library only (an xlsx file is a zip of XML sheets), so no spreadsheet package is needed.

Source: 令和2年国勢調査 人口等基本集計 第2-1表「男女，年齢（各歳），国籍総数か日本人別人口，平均年齢
及び年齢中位数－全国，都道府県，21大都市，特別区，人口50万以上の市」, e-Stat statInfId 000032142404
(https://www.e-stat.go.jp/stat-search/file-download?statInfId=000032142404&fileKind=0), sheet
``b02_01``. The file read is the unmodified copy kept in the public repository
github.com/bantai-education-design/bantai-education-design.github.io, path
``data-source/census2020/table2-1.xlsx`` (commit b22106030003e21e07d157d917648af2d1d50add), whose
sha256 is checked below.

Rows kept: 国籍総数 (all nationalities, as in ``municipalities_2020.csv``), the 47 prefectures
(area code ending 000), men and women. Single years 0-109 and 110+ are summed into the 21 bands
of ``national_age_sex_2020.csv`` (0-4 ... 95-99, 100+); age 不詳 is excluded.
"""

from __future__ import annotations

import hashlib
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHA256 = "b8e395c1341f1772d153343ed0435c5f656c888ab33127c7bed88d170cc733bf"
SOURCE = "2020 census 第2-1表 (e-Stat statInfId 000032142404); age 不詳 excluded"
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_SEX = {"1_男": "male", "2_女": "female"}


def _text(node: ET.Element) -> str:
    return "".join(t.text or "" for t in node.iter(f"{_NS}t"))


def _count(cell: str | None) -> int:
    """A cell's count; the census prints "-" (or leaves the cell empty) for none."""
    return 0 if cell in (None, "", "-") else int(float(cell))


def read_sheet(path: Path) -> list[dict[str, str]]:
    """The first sheet of an xlsx file as rows of {column letter: cell text}."""
    with zipfile.ZipFile(path) as z:
        shared = [_text(si) for si in ET.fromstring(z.read("xl/sharedStrings.xml"))]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{_NS}row"):
        cells = {}
        for c in row.iter(f"{_NS}c"):
            col = re.match(r"[A-Z]+", c.get("r", "")).group()
            v = c.find(f"{_NS}v")
            if v is not None:
                cells[col] = shared[int(v.text)] if c.get("t") == "s" else (v.text or "")
            elif (inline := c.find(f"{_NS}is")) is not None:
                cells[col] = _text(inline)
        rows.append(cells)
    return rows


def band_rows(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """Prefecture x 21 bands rows with male and female counts."""
    header = next(r for r in rows if r.get("F") == "001_0歳")
    age_col = {}
    for col, label in header.items():
        m = re.fullmatch(r"\d{3}_(\d+)歳(以上)?", label or "")
        if m:
            age_col[col] = int(m.group(1))
    if sorted(age_col.values()) != list(range(111)):
        raise SystemExit("table2-1.xlsx: expected single-year columns 0..110+")
    counts: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        area = r.get("D", "")
        if r.get("A") != "0_国籍総数" or r.get("B") not in _SEX or not re.match(r"\d{2}000_", area):
            continue
        if area.startswith("00"):
            continue
        bands = [0] * 21
        for col, age in age_col.items():
            bands[min(age // 5, 20)] += _count(r.get(col))
        counts[(area[:2], _SEX[r["B"]])] = bands
    codes = sorted({c for c, _ in counts})
    if len(codes) != 47 or len(counts) != 94:
        raise SystemExit(f"table2-1.xlsx: expected 47 prefectures by sex, found {len(counts)} rows")
    out = []
    for code in codes:
        for b in range(21):
            label = "100+" if b == 20 else f"{5 * b}-{5 * b + 4}"
            out.append(
                {"prefecture_code": code, "age_band": label, "age_low": 5 * b,
                 "male": counts[(code, "male")][b], "female": counts[(code, "female")][b]}
            )  # fmt: skip
    return out


def main(argv: list[str]) -> None:
    """Check the xlsx's sha256, derive the bands and write the CSV next to this script."""
    if len(argv) != 2:
        raise SystemExit("usage: python sim/data/build_prefecture_ages.py PATH/table2-1.xlsx")
    path = Path(argv[1])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{path}: sha256 {digest} is not the checked table's {SHA256}")
    out = band_rows(read_sheet(path))
    lines = ["prefecture_code,age_band,age_low,male,female,source,flag"]
    lines += [
        f"{r['prefecture_code']},{r['age_band']},{r['age_low']},{r['male']},{r['female']},"
        f"{SOURCE},V"
        for r in out
    ]
    (HERE / "prefecture_age_sex_2020.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(out)} rows (47 prefectures x 21 bands) to prefecture_age_sex_2020.csv")


if __name__ == "__main__":
    main(sys.argv)

"""Commuting areas and the partition plan of national runs.

A national run can be split into partitions that share no ties: friendships, neighbourhoods and
venues stay inside municipalities or commuting groups, and commuting stays inside a commuting
area. The areas are the prefectures, with the metropolitan areas whose commuting crosses
prefecture lines kept together (首都圏, 中京圏, 関西圏), as shipped in
``sim/data/commuting_areas.csv`` (sources and the grouping rule in ``sim/data/SOURCES.md``).

Example:
    >>> [p.key for p in plan_partitions(["31", "11", "13"])]
    ['shutoken', 'pref-31']
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pandas as pd

from sim.core.params import ConfigError

AREAS: tuple[str, ...] = ("metro", "prefecture")
COLUMNS: tuple[str, ...] = (
    "prefecture_code",
    "area_key",
    "area_ja",
    "area_en",
    "rule",
    "other_pref_share_pop_2015",
    "day_night_ratio_2015",
    "main_destination",
    "source",
    "flag",
)
_FILE = "commuting_areas.csv"
_KEY = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class Partition:
    """A set of prefectures simulated together (no tie crosses its border).

    Attributes:
        key: ascii, file-name safe, unique: "shutoken", "pref-31", ...
        name_ja: "首都圏", "鳥取県".
        name_en: "Greater Tokyo", "Tottori".
        prefectures: two-digit codes, ascending.
    """

    key: str
    name_ja: str
    name_en: str
    prefectures: tuple[str, ...]


def commuting_areas() -> pd.DataFrame:
    """The shipped table of commuting areas, one row per prefecture, validated.

    Returns:
        Columns :data:`COLUMNS`, rows in prefecture code order (01-47).

    Raises:
        ConfigError: naming ``commuting_areas.csv`` and the row or column at fault.
    """
    from sim.world.region import _data_bytes, prefectures

    raw = io.BytesIO(_data_bytes(_FILE))
    text = {"prefecture_code": str, "main_destination": str}
    table = pd.read_csv(
        raw, dtype=text, keep_default_na=False, na_values={"other_pref_share_pop_2015": [""]}
    )
    missing = [c for c in COLUMNS if c not in table]
    if missing:
        raise ConfigError(f"{_FILE}: missing columns {missing}")
    codes = list(prefectures()["code"])
    if sorted(table["prefecture_code"]) != codes or not table["prefecture_code"].is_unique:
        raise ConfigError(f"{_FILE}: needs one row for each prefecture code 01-47")
    table = table.sort_values("prefecture_code").reset_index(drop=True)
    for row in table.itertuples(index=False):
        where = f"{_FILE}: row {row.prefecture_code}"
        key = str(row.area_key)
        if not _KEY.fullmatch(key):
            raise ConfigError(f"{where}: area_key {key!r} is not lower-case ascii")
        if key.startswith("pref-") and key != f"pref-{row.prefecture_code}":
            raise ConfigError(f"{where}: a prefecture on its own has area_key pref-NN")
        if row.flag not in tuple("VDMSA") or not str(row.source).strip():
            raise ConfigError(f"{where}: needs a source and a flag V, D, M, S or A")
    names = table.groupby("area_key")[["area_ja", "area_en"]].nunique()
    if (names > 1).any(axis=None):
        raise ConfigError(f"{_FILE}: an area_key with more than one area_ja or area_en")
    return table


def area_of(codes: pd.Series | list[str], areas: str = "metro") -> list[str]:
    """The partition key of each prefecture code (its area's key, or ``pref-NN``).

    Raises:
        ConfigError: naming ``layers.commuting_areas`` for an unknown ``areas`` value.
    """
    check_areas(areas)
    if areas == "prefecture":
        return [f"pref-{c}" for c in codes]
    lookup = dict(zip(*commuting_areas()[["prefecture_code", "area_key"]].T.values, strict=True))
    return [str(lookup[c]) for c in codes]


def plan_partitions(prefectures=None, *, areas: str = "metro") -> list[Partition]:
    """Partitions of a national run: the commuting areas met by the requested prefectures.

    Args:
        prefectures: codes or names (resolved with :func:`sim.world.region.prefecture_code`);
            None for all 47.
        areas: "metro" (the areas of ``commuting_areas.csv``) or "prefecture" (one each).

    Returns:
        The areas intersected with the requested set, ordered by their smallest prefecture code.
        A partition of one prefecture has key ``pref-NN`` and the prefecture's own names.

    Raises:
        ConfigError: naming ``layers.commuting_areas`` or ``region.prefectures``.
    """
    check_areas(areas)
    table = commuting_areas()
    wanted = resolve_prefectures(prefectures)
    table = table[table["prefecture_code"].isin(wanted)]
    keys = area_of(table["prefecture_code"], areas)
    out: list[Partition] = []
    for key, part in table.groupby(pd.Series(keys, index=table.index), sort=False):
        codes = tuple(sorted(part["prefecture_code"]))
        if len(codes) == 1:
            out.append(prefecture_partition(codes[0]))
        else:
            first = part.iloc[0]
            out.append(Partition(str(key), first["area_ja"], first["area_en"], codes))
    return sorted(out, key=lambda p: p.prefectures[0])


def resolve_prefectures(prefectures=None) -> list[str]:
    """Two-digit codes, ascending and unique, of prefectures given by code or name (None: all).

    Raises:
        ConfigError: one line naming ``region.prefectures``.
    """
    from sim.world.region import prefecture_code
    from sim.world.region import prefectures as all_prefectures

    if prefectures is None:
        return list(all_prefectures()["code"])
    if isinstance(prefectures, str | int) or len(prefectures) == 0:
        raise ConfigError("region.prefectures: give a non-empty list of codes or names")
    codes: set[str] = set()
    for item in prefectures:
        try:
            codes.add(prefecture_code(str(item)))
        except ConfigError as exc:
            raise ConfigError(
                str(exc).replace("region.prefecture:", "region.prefectures:")
            ) from None
    return sorted(codes)


def subset_names(codes: list[str]) -> tuple[str, str, str]:
    """Region key and names of a set of prefectures (two-digit codes, ascending).

    Returns:
        ("japan", "全国", "Japan") for all 47; else ("japan:31-32-39", "鳥取県・島根県・高知県",
        "Tottori, Shimane, Kochi"), or the area's names if the codes are exactly one area.
    """
    if len(codes) == 47:
        return "japan", "全国", "Japan"
    key = "japan:" + "-".join(codes)
    whole = [p for p in plan_partitions() if p.prefectures == tuple(codes)]
    if whole:
        return key, whole[0].name_ja, whole[0].name_en
    singles = [prefecture_partition(c) for c in codes]
    return key, "・".join(p.name_ja for p in singles), ", ".join(p.name_en for p in singles)


def prefecture_names() -> dict[str, tuple[str, str]]:
    """Two-digit code -> (Japanese name, English name) of the 47 prefectures."""
    from sim.world.region import prefectures

    rows = prefectures()
    return {str(r.code): (str(r.name_ja), str(r.name_en).capitalize()) for r in rows.itertuples()}


def prefecture_partition(code: str) -> Partition:
    """The partition of one prefecture (key ``pref-NN``), named as in ``prefectures.csv``."""
    name_ja, name_en = prefecture_names()[code]
    return Partition(f"pref-{code}", name_ja, name_en, (code,))


def check_areas(areas: str) -> None:
    """Raise a one-line ConfigError for an unknown ``layers.commuting_areas`` value."""
    if areas not in AREAS:
        raise ConfigError(f"layers.commuting_areas: must be 'metro' or 'prefecture', got {areas!r}")

"""Merging the partitions of a national run: Japan, each prefecture and each municipality.

Every partition's monthly table has the standard columns (``week, date, measure, dimension,
group, value, n``). The merge reads them from the store in plan order (never in completion
order) and writes one table of the same form:

* the whole run's rows (dimensions ``all``, ``age_group``, ``sex``, ... , ``funder``, ``lever``):
  shares and means are averaged weighted by ``n`` (the residents they were measured on),
  counts and yen are summed, and ``population_share`` is recomputed from the summed
  populations;
* dimension ``prefecture``: the same rules over the municipality rows of each prefecture
  (group: the prefecture's Japanese name); its ``cost_yen`` is the bills of its
  municipalities plus its population's share of its partition's prefectural, national-grant
  and NPO bills;
* dimension ``municipality``: each partition's rows, named ``都道府県名 + 市区町村名`` (names
  repeat across prefectures, e.g. 太子町 in Osaka and Hyogo).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.recorder import MEASURES

#: Measures that are means over the residents counted in ``n`` (averaged, weighted by ``n``).
MEAN_MEASURES = frozenset(MEASURES)
#: Dimensions named by municipality, re-keyed by the merge.
MUNICIPAL = ("municipality", "municipality_bill")
KEYS = ["week", "date", "measure", "dimension", "group"]


def is_mean(measure: pd.Series) -> np.ndarray:
    """Whether each measure is a mean or share (weighted by ``n``) rather than a count."""
    m = measure.astype(str)
    return (m.isin(MEAN_MEASURES) | m.str.startswith("share_")).to_numpy()


def aggregate(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with equal keys combined: means weighted by ``n``, counts summed (keys' order kept)."""
    rows = rows.assign(vn=rows["value"] * rows["n"])
    s = rows.groupby(KEYS, sort=False)[["value", "n", "vn"]].sum().reset_index()
    mean = is_mean(s["measure"])
    with np.errstate(invalid="ignore", divide="ignore"):
        s["value"] = np.where(mean, s["vn"] / s["n"].where(s["n"] > 0), s["value"])
    s = s.drop(columns="vn")
    return s


def municipal_codes(table: pd.DataFrame, mun: pd.DataFrame) -> pd.Series:
    """Municipality code of each municipal row (by position: rows follow the region's order).

    Raises:
        ValueError: the rows do not follow the partition's municipalities (a merge bug).
    """
    rows = table[table["dimension"].isin(MUNICIPAL)]
    pos = rows.groupby(["week", "measure", "dimension"], sort=False).cumcount().to_numpy()
    names = mun["name"].to_numpy()
    inside = pos < len(names)
    mun_rows = rows["dimension"].eq("municipality").to_numpy()
    if mun_rows.any() and (~inside & mun_rows).any():
        raise ValueError("national merge: more municipality rows than municipalities")
    ok = rows["group"].to_numpy()[inside] == names[pos[inside]]
    if not ok.all():
        raise ValueError("national merge: municipality rows out of the region's order")
    codes = np.where(inside, mun["code"].to_numpy()[np.minimum(pos, len(names) - 1)], "")
    return pd.Series(codes, index=rows.index)


def merge_tables(plan, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The run's table from the partitions' tables (``tables``: partition key -> table)."""
    mun_all = plan.region.municipalities
    pref_names = _prefecture_names()
    whole, prefs, munis = [], [], []
    for part in plan.partitions:
        t = tables[part.key]
        mun = mun_all[mun_all["prefecture_code"].isin(part.prefectures)].reset_index(drop=True)
        whole.append(t[~t["dimension"].isin(MUNICIPAL)])
        code = municipal_codes(t, mun)
        rows = t.loc[code.index].assign(code=code.to_numpy())
        pref_of = dict(zip(mun["code"], mun["prefecture_code"], strict=True))
        m = rows[rows["dimension"] == "municipality"].copy()
        m["pref"] = m["code"].map(pref_of)
        prefs.append(_to_prefecture(m, pref_names))
        prefs.append(_prefecture_bills(rows, mun, pref_of, pref_names))
        named = mun["prefecture_code"].map(pref_names) + mun["name"]
        m["group"] = m["code"].map(dict(zip(mun["code"], named, strict=True)))
        munis.append(m[[*KEYS, "value", "n"]])
    national = aggregate(pd.concat(whole, ignore_index=True))
    by_pref = aggregate(pd.concat(prefs, ignore_index=True))
    out = pd.concat([national, by_pref, *munis], ignore_index=True)
    out = out.sort_values(["week"], kind="stable").reset_index(drop=True)
    return _population_share(out)


def _population_share(t: pd.DataFrame) -> pd.DataFrame:
    """``population_share`` recomputed: the group's population over the whole run's, per week."""
    share = (t["measure"] == "population_share").to_numpy()
    if not share.any():
        return t
    pop = t[t["measure"] == "population"].set_index(["week", "dimension", "group"])["value"]
    pop = pop[~pop.index.duplicated()]
    total = t[(t["measure"] == "population") & (t["dimension"] == "all")].set_index("week")["value"]
    rows = t.loc[share, ["week", "dimension", "group"]]
    num = pop.reindex(pd.MultiIndex.from_frame(rows)).to_numpy()
    t.loc[share, "value"] = num / total.reindex(rows["week"]).to_numpy()
    return t


def _to_prefecture(m: pd.DataFrame, pref_names: dict[str, str]) -> pd.DataFrame:
    return m.assign(dimension="prefecture", group=m["pref"].map(pref_names))[[*KEYS, "value", "n"]]


def _prefecture_bills(rows, mun, pref_of, pref_names) -> pd.DataFrame:
    """``cost_yen`` by prefecture: its municipalities' bills and a population share of the rest."""
    bills = rows[(rows["dimension"] == "municipality_bill") & (rows["measure"] == "cost_yen")]
    if bills.empty:
        return bills[[*KEYS, "value", "n"]]
    own = bills[bills["code"] != ""].assign(pref=lambda b: b["code"].map(pref_of))
    rest = bills[bills["code"] == ""].groupby(["week", "date"], sort=False)["value"].sum()
    pop = mun.groupby("prefecture_code", sort=True)["pop_total"].sum()
    share = pop / pop.sum()
    spread = pd.DataFrame(
        [(w, d, p, v * share[p]) for (w, d), v in rest.items() for p in share.index],
        columns=["week", "date", "pref", "value"],
    )
    both = pd.concat([own[["week", "date", "pref", "value"]], spread], ignore_index=True)
    total = both.groupby(["week", "date", "pref"], sort=True)["value"].sum().reset_index()
    total["group"] = total["pref"].map(pref_names)
    return total.assign(measure="cost_yen", dimension="prefecture", n=0)[[*KEYS, "value", "n"]]


def _prefecture_names(attribute: str = "name_ja") -> dict[str, str]:
    """Prefecture code -> its Japanese (or English, ``name_en``) name."""
    from sim.world.partitions import prefecture_names

    which = 1 if attribute == "name_en" else 0
    return {code: names[which] for code, names in prefecture_names().items()}

"""Wording of a comparison's decision (split from :mod:`experiments.compare`).

The headline worded by P(best) (:func:`headline`, :func:`confidence_band`) and the sentence
saying which uncertainty the intervals include (:func:`uncertainty_line`).
"""

from __future__ import annotations

import pandas as pd

from experiments.compare_decision import MIN_WORLDS, P_CLEAR, P_PROBABLE


def confidence_band(p: float) -> str:
    """``clear`` (P(best) >= :data:`P_CLEAR`), ``probable`` (>= :data:`P_PROBABLE`) or ``none``."""
    if p >= P_CLEAR:
        return "clear"
    if p >= P_PROBABLE:
        return "probable"
    return "none"


def headline(
    p_best: pd.Series,
    baseline: str,
    titles: dict[str, str] | None = None,
    lang: str = "ja",
    worlds: int | None = None,
) -> str:
    """The headline sentence of a comparison, worded by the probability that an option is best.

    The option with the highest P(best) is called clearly best at :data:`P_CLEAR` or more,
    probably best from :data:`P_PROBABLE`; below, the options are said to be not
    distinguishable and every option's share is given (never "the model favours"). With fewer
    than :data:`MIN_WORLDS` worlds (``worlds``, when known) no option is called best: the
    shares are given with the advice to sample more.
    """
    titles = titles or {}
    ja = lang == "ja"
    p = p_best.sort_values(ascending=False, kind="stable")
    top, share = str(p.index[0]), float(p.iloc[0])
    if worlds is not None and worlds < MIN_WORLDS:
        shares = [f"{_option(str(o), baseline, titles, ja)} {100 * float(v):.0f}%"
                  for o, v in p.items() if v > 0]  # fmt: skip
        if ja:
            return (
                f"世界が{worlds}通りしかないため、どの案が最善かは判断できません（最善となった"
                f"割合：{'、'.join(shares)}。{MIN_WORLDS}通り以上、例えば seeds={MIN_WORLDS}で"
                "比べてください）。"
            )
        return (
            f"With only {worlds} sampled worlds no option can be called best (share of worlds "
            f"best: {', '.join(shares)}; compare over {MIN_WORLDS} or more, e.g. "
            f"seeds={MIN_WORLDS})."
        )

    def name(o: str) -> str:
        return _option(o, baseline, titles, ja)

    pct = f"{100 * share:.0f}%"
    band = confidence_band(share)
    if band == "clear":
        return (
            f"{name(top)}がはっきり最善です：不確かさの{pct}の世界で孤独の延べ人年を最も多く"
            "減らします。"
            if ja
            else f"{name(top)} is clearly best: it averts the most person-years of loneliness "
            f"in {pct} of the sampled worlds."
        )
    if band == "probable":
        return (
            f"{name(top)}がおそらく最善です（{pct}の世界で最も多く減らす）。ただし確実とは"
            "いえません。"
            if ja
            else f"{name(top)} is probably best (it averts the most in {pct} of the sampled "
            "worlds), but this is not certain."
        )
    shares = [f"{name(str(o))} {100 * float(v):.0f}%" for o, v in p.items() if v > 0]
    if ja:
        return (
            "どの案が最善かは区別できません（最善となる確率："
            + "、".join(shares)
            + f"。はっきり最善と言うには{100 * P_CLEAR:.0f}%以上が必要）。"
        )
    return (
        "The packages are not distinguishable: no option is best in most worlds "
        f"(probability best: {', '.join(shares)}; 'clearly best' needs {100 * P_CLEAR:.0f}%)."
    )


def _option(o: str, baseline: str, titles: dict[str, str], ja: bool) -> str:
    if o == baseline:
        return "追加の施策なし（基準）" if ja else "no added package (the baseline)"
    t = titles.get(o, o)
    return f"「{t}」" if ja else f"“{t}”"


def uncertainty_line(info: dict, lang: str = "ja") -> str:
    """One sentence saying which uncertainty the intervals include."""
    joint = info.get("mode") == "joint"
    draws = int(info.get("draws", 0))
    n_eff = len(info.get("effects", []))
    worlds = info.get("worlds", "?")
    if lang == "ja":
        post = (
            f"較正の事後分布（{draws}通りの抽出）"
            if joint and draws
            else "較正の点推定のみ（事後分布の抽出なし）"
        )
        eff = "施策効果は既定値"
        if joint and n_eff:
            eff = f"施策効果の事前分布（{n_eff}個のパラメータ）"
        return f"区間が含む不確かさ：乱数の種、{post}、{eff}（{worlds}通りの世界）。"
    post = (
        f"the calibrated posterior ({draws} draws)"
        if joint and draws
        else "the calibrated point only (no posterior draws)"
    )
    eff = f"the effect priors ({n_eff} parameters)" if joint and n_eff else "effects at defaults"
    return f"Intervals include: seeds, {post}, {eff} ({worlds} worlds)."

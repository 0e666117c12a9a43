"""The standing caveats printed at the end of every report (ja/en)."""

from __future__ import annotations

from sim.core.i18n import check_lang


def calibration_caveat(calibration: str | None, lang: str) -> str:
    """The caveat on calibration, from the manifest's ``calibration`` value.

    Args:
        calibration: the parameter set the run started from (``calibrated`` or another fitted
            set's name), ``none`` for the declared defaults, or None when the manifest does
            not say.
        lang: ``ja`` or ``en``.
    """
    ja = check_lang(lang) == "ja"
    if calibration is None or str(calibration).strip() == "":
        return (
            "この実行の記録（manifest）には較正の有無がありません。費用はすべて仮定です。"
            "自治体の予算額に置き換えて使ってください。"
            if ja
            else "The run's manifest does not say whether the model was calibrated; all costs "
            "are assumptions to be replaced with local budgets."
        )
    if str(calibration).lower() == "none":
        return (
            "数値は較正前のモデル（宣言された既定値、calibration=none）によるもので、費用はすべて"
            "仮定です。自治体の予算額に置き換えて使ってください。"
            if ja
            else "Figures come from the uncalibrated model (the declared defaults, "
            "calibration=none); all costs are assumptions to be replaced with local budgets."
        )
    return (
        f"モデルは全国調査（人々のつながりに関する基礎調査）に較正済みです（パラメータの組："
        f"{calibration}）。効果の大きさと費用は計画上の仮定です。自治体の予算額に置き換えて"
        "使ってください。"
        if ja
        else f"The model is calibrated to the national loneliness survey (parameter set "
        f"“{calibration}”); effect sizes and costs are planning assumptions to be replaced "
        "with local budgets."
    )


def caveats(lang: str, calibration: str | None = None) -> list[str]:
    """Standing caveats printed at the end of every report (the first from the manifest)."""
    first = calibration_caveat(calibration, lang)
    if lang == "ja":
        return [
            first,
            "人年は、16歳以上の住民がその状態にあった年数の合計（実人口に換算）です。",
            "差の符号はどの表でも同じです：人年は「回避」（現状－施策、正なら減った）、費用は"
            "「追加費用」（施策－現状、正なら増えた）です。",
            "小さな差（0.1ポイント程度）は偶然のことがあります。複数シードの比較で幅を確かめてください。",
            "このモデルは政策の比較のための道具で、将来の予測ではありません。",
        ]
    return [
        first,
        "Person-years add up the years residents aged 16+ spent in a state (full population).",
        "Every table uses one sign convention: person-years “averted” (baseline - package, "
        "positive when fewer), costs “added” (package - baseline, positive when more).",
        "Small differences (about 0.1 points) can be chance: compare several seeds.",
        "The model compares policies; it does not forecast.",
    ]

"""Bilingual labels of the HTML report and its figures, and how to read each section.

Both tables have the one label-table shape of the project: ``{key: {"ja": ..., "en": ...}}``.
"""

from __future__ import annotations

from sim.core.i18n import check_lang

#: Labels used by the report and its figures: key -> {"ja": ..., "en": ...}.
LABELS: dict[str, dict[str, str]] = {
    "report": {
        "ja": "孤独・孤立対策シミュレーション報告書",
        "en": "Loneliness policy simulation report",
    },
    "kind.run": {"ja": "1回の実行（現状の施策）", "en": "Single run"},
    "kind.paired": {
        "ja": "施策パッケージと現状の比較（同じ乱数）",
        "en": "Package against the paired baseline",
    },
    "kind.compare": {
        "ja": "施策パッケージの比較（複数の試行）",
        "en": "Comparison of packages (many runs)",
    },
    "kind.sensitivity": {"ja": "感度分析", "en": "Sensitivity analysis"},
    "findings": {"ja": "主な結果", "en": "Key findings"},
    "contents": {"ja": "目次", "en": "Contents"},
    "about": {"ja": "この報告書について", "en": "About this report"},
    "caveats": {"ja": "読むときの注意", "en": "Caveats"},
    "tables": {"ja": "表のダウンロード", "en": "Table downloads"},
    "region": {"ja": "地域", "en": "Region"},
    "scenario": {"ja": "施策パッケージ", "en": "Package"},
    "period": {"ja": "期間", "en": "Period"},
    "residents": {"ja": "模擬住民数", "en": "Simulated residents"},
    "seed": {"ja": "乱数シード", "en": "Random seed"},
    "runs": {"ja": "試行数", "en": "Runs"},
    "version": {"ja": "ツールのバージョン", "en": "Tool version"},
    "generated_from": {"ja": "元データのフォルダ", "en": "Source folder"},
    "section_missing": {
        "ja": "この節に必要なデータがこのフォルダにないため、省略しました。",
        "en": "This section is left out: the folder has no data for it.",
    },
    "section_failed": {
        "ja": "この節は作成できませんでした",
        "en": "This section could not be made",
    },
    # Section titles.
    "sec.prevalence": {"ja": "孤独感の推移", "en": "Loneliness over time"},
    "sec.arms": {"ja": "パッケージ別の推移", "en": "Over time by package"},
    "sec.age": {"ja": "年齢別の効果", "en": "Effect by age"},
    "sec.calibration": {
        "ja": "全国調査との比較（年齢別）",
        "en": "The model against the national survey by age",
    },
    "sec.municipality": {"ja": "市町村の比較", "en": "Municipalities"},
    "sec.flows": {"ja": "支援の流れ", "en": "Service flows"},
    "sec.costs": {"ja": "費用（負担者別・年度別）", "en": "Costs by funder and fiscal year"},
    "sec.ce": {"ja": "費用と効果", "en": "Cost-effectiveness"},
    "sec.comparison": {"ja": "比較表", "en": "Comparison table"},
    "sec.robustness": {"ja": "頑健性（どの条件でも良いか）", "en": "Robustness across worlds"},
    "sec.decision": {
        "ja": "どの案が最善か（不確かさの下での判断）",
        "en": "Which option is best (decision under uncertainty)",
    },
    "sec.ceac": {"ja": "費用効果受容曲線（CEAC）", "en": "Cost-effectiveness acceptability curve"},
    "sec.sensitivity": {"ja": "感度分析の結果", "en": "Sensitivity indices"},
    "sec.groups": {"ja": "属性別の状況", "en": "By group"},
    # Axis and legend labels.
    "lonely": {
        "ja": "孤独感が「しばしば・常に」または「時々」ある",
        "en": "Lonely often/always or sometimes",
    },
    "lonely.short": {"ja": "孤独（しばしば・時々）", "en": "Lonely (often or sometimes)"},
    "share_pct": {"ja": "割合（%）", "en": "Share (%)"},
    "pp": {"ja": "ポイント", "en": "points"},
    "baseline": {"ja": "現状（ベースライン）", "en": "Baseline"},
    "model": {"ja": "モデル", "en": "Model"},
    "survey": {"ja": "全国調査", "en": "National survey"},
    "model_dec": {"ja": "モデル（12月の値）", "en": "Model (December values)"},
    "py_averted": {"ja": "回避された延べ人年", "en": "Person-years averted"},
    "py_averted_lonely": {
        "ja": "孤独（しばしば・時々）の回避された延べ人年",
        "en": "Person-years of loneliness (often/sometimes) averted",
    },
    "added_cost": {
        "ja": "追加費用（百万円、期間合計）",
        "en": "Added cost (million yen, whole period)",
    },
    "cost_myen": {"ja": "費用（百万円）", "en": "Cost (million yen)"},
    "persons_full": {
        "ja": "人数（実人口換算、期間合計）",
        "en": "Persons (full population, whole period)",
    },
    "fiscal_year": {"ja": "年度", "en": "Fiscal year"},
    "age": {"ja": "年齢階級", "en": "Age group"},
    "municipality": {"ja": "市町村", "en": "Municipality"},
    "diff_pp": {
        "ja": "孤独の回避（ポイント、現状－施策、期間平均）",
        "en": "Averted (points, baseline - package, mean)",
    },
    "seed_point": {"ja": "1回の試行", "en": "One run"},
    "mean_point": {"ja": "平均", "en": "Mean"},
    "ci": {"ja": "95%区間", "en": "95% interval"},
    "range": {"ja": "5〜95%の範囲", "en": "5-95% range"},
    "median": {"ja": "中央値", "en": "median"},
    "mu_star": {"ja": "μ*（影響の大きさ）", "en": "mu* (size of effect)"},
    "sigma": {"ja": "σ（非線形・交互作用）", "en": "sigma (non-linearity, interactions)"},
    "sobol_index": {"ja": "Sobol指数", "en": "Sobol index"},
    "s1": {"ja": "一次指数 S1", "en": "First order S1"},
    "st": {"ja": "全効果指数 ST", "en": "Total ST"},
    "dummy": {"ja": "DUMMY（偶然の目安）", "en": "DUMMY (chance level)"},
    # Table headers.
    "parameter": {"ja": "パラメータ", "en": "Parameter"},
    "half_width": {"ja": "{x}の95%区間の半幅", "en": "{x} 95% half-width"},
    "above_dummy": {"ja": "DUMMYと区別できる", "en": "Above DUMMY"},
    "convergence": {"ja": "収束の確認", "en": "Convergence check"},
    "runs_half": {"ja": "半分の試行数", "en": "Runs (half)"},
    "runs_full": {"ja": "全試行数", "en": "Runs (all)"},
    "result": {"ja": "結果", "en": "Result"},
    "share_best": {"ja": "最良だった条件の割合", "en": "Share of worlds best"},
    "mean_regret": {"ja": "平均の後悔（人年）", "en": "Mean regret (person-years)"},
    "max_regret": {"ja": "最大の後悔（人年）", "en": "Max regret (person-years)"},
    "eligible_share": {"ja": "予算内だった割合", "en": "Share within budget"},
    "worlds": {"ja": "条件の数", "en": "Worlds"},
    "measure": {"ja": "指標", "en": "Measure"},
    "group": {"ja": "区分", "en": "Group"},
    "min": {"ja": "最小", "en": "min"},
    "max": {"ja": "最大", "en": "max"},
    "difference": {"ja": "差", "en": "Difference"},
    "difference_kind": {"ja": "差の向き", "en": "Sign"},
    "averted": {"ja": "回避（現状－施策）", "en": "averted (baseline - package)"},
    "added": {"ja": "追加（施策－現状）", "en": "added (package - baseline)"},
    "pairs": {"ja": "対応のある試行の組", "en": "Paired runs"},
    "ci_low": {"ja": "95%区間の下限", "en": "95% interval, low"},
    "ci_high": {"ja": "95%区間の上限", "en": "95% interval, high"},
    "col.py_averted": {"ja": "孤独の回避人年（平均）", "en": "Person-years lonely averted (mean)"},
    "col.added_cost": {"ja": "追加費用（円、平均）", "en": "Added cost (yen, mean)"},
    "col.cost_per": {"ja": "回避1人年あたり費用（円）", "en": "Cost per person-year averted (yen)"},
    "col.added_cost_yen": {"ja": "追加費用（円）", "en": "Added cost (yen)"},
    # Service flows.
    "noticed": {"ja": "気づき", "en": "Noticed"},
    "referred": {"ja": "紹介", "en": "Referred"},
    "waiting_entered": {"ja": "相談の待機に入った", "en": "Entered waiting"},
    "served": {"ja": "支援開始", "en": "Support started"},
    "dropped": {"ja": "待ちきれず離脱", "en": "Dropped out while waiting"},
    "cases_broken": {"ja": "担当者の異動で中断", "en": "Broken by staff rotation"},
    "visits": {"ja": "民生委員の訪問", "en": "Welfare volunteer visits"},
    "venue_joined": {"ja": "居場所に参加した人", "en": "Joined a place"},
    "venue_attendances": {"ja": "居場所への参加回数", "en": "Attendances at places"},
    # Funders.
    "national_grant": {"ja": "国の交付金", "en": "National grant"},
    "prefecture": {"ja": "都道府県", "en": "Prefecture"},
    "municipality_funder": {"ja": "市町村", "en": "Municipality"},
    "npo": {"ja": "NPO等", "en": "NPOs"},
    # Outcomes of experiments.
    "py_lonely": {
        "ja": "孤独（しばしば・時々）の延べ人年",
        "en": "Person-years lonely (often/sometimes)",
    },
    "py_any_loneliness": {
        "ja": "孤独感がある（計）の延べ人年",
        "en": "Person-years of any loneliness",
    },
    "py_ucla3_top": {"ja": "UCLA 10-12点の延べ人年", "en": "Person-years UCLA-3 10-12"},
    "py_no_in_person_contact": {
        "ja": "直接会う機会なしの延べ人年",
        "en": "Person-years without in-person contact",
    },
    "py_no_social_activity": {
        "ja": "社会活動なしの延べ人年",
        "en": "Person-years without social activity",
    },
    "py_chronic_loneliness": {
        "ja": "慢性的な孤独の延べ人年",
        "en": "Person-years of chronic loneliness",
    },
    "cost_total": {"ja": "費用合計（円）", "en": "Total cost (yen)"},
    "cost_national_grant": {"ja": "費用：国の交付金（円）", "en": "Cost: national grant (yen)"},
    "cost_prefecture": {"ja": "費用：都道府県（円）", "en": "Cost: prefecture (yen)"},
    "cost_municipality": {"ja": "費用：市町村（円）", "en": "Cost: municipality (yen)"},
    "cost_npo": {"ja": "費用：NPO等（円）", "en": "Cost: NPOs (yen)"},
    "cost_per_py_averted": {
        "ja": "回避1人年あたり費用（円）",
        "en": "Cost per person-year averted (yen)",
    },
    "final_any_loneliness": {
        "ja": "最終年の孤独感がある（計）",
        "en": "Any loneliness in the last year",
    },
    "final_often_always": {
        "ja": "最終年の「しばしば・常に」",
        "en": "Often/always in the last year",
    },
    "final_ucla3_top": {"ja": "最終年の UCLA 10-12点", "en": "UCLA-3 10-12 in the last year"},
    "final_no_in_person_contact": {
        "ja": "最終年の直接会う機会なし",
        "en": "No in-person contact, last year",
    },
}


def label(key: str, lang: str) -> str:
    """Translate a report label (``key`` itself when unknown)."""
    lang = check_lang(lang)
    entry = LABELS.get(key)
    return key if entry is None else entry[lang]


def outcome_label(stem: str, lang: str) -> str:
    """Name an outcome column stem of :mod:`sim.analysis.compare` (``lonely_person_years``...)."""
    if stem.startswith("cost_per_"):
        return label("cost_per_py_averted", lang)
    if stem.endswith("_person_years"):
        return label("py_" + stem.removesuffix("_person_years"), lang)
    if stem.endswith("_share"):
        return label(stem.removesuffix("_share"), lang)
    return label(stem.removesuffix("_yen"), lang)


def difference_kind(name: str, lang: str) -> str:
    """How a signed difference column reads: averted (baseline - package) or added."""
    if name.startswith("cost_per_"):
        return "追加費用÷回避人年" if lang == "ja" else "added cost / averted"
    return label("added" if name.startswith("added_") else "averted", lang)


def fiscal_year_text(year: int, lang: str) -> str:
    """A fiscal year (April-March) as text without a thousands separator: 「2025年度」/FY2025."""
    return f"{year}年度" if lang == "ja" else f"FY{year}"


def funder_label(funder: str, lang: str) -> str:
    """Name a funder (``national_grant``, ``prefecture``, ``municipality``, ``npo``)."""
    return label("municipality_funder" if funder == "municipality" else funder, lang)


#: How to read each section, in plain words: section key -> {"ja": ..., "en": ...}.
READ: dict[str, dict[str, str]] = {
    "prevalence": {
        "ja": (
            "孤独感をどの程度感じるかの5つの答えと、孤立の指標が月ごとにどう変わるかを示します。"
            "線が下がるほど孤独な人が減っています。"
        ),
        "en": (
            "The five answers to “how often do you feel lonely?” and the isolation indicators, "
            "month by month. Lower lines mean fewer lonely residents."
        ),
    },
    "arms": {
        "ja": (
            "孤独（しばしば・時々）を感じる人の割合を、現状とパッケージで比べます。"
            "1回の試行なので、偶然による幅（帯）はありません。"
        ),
        "en": (
            "Share lonely (often or sometimes) under the baseline and the package: one run, so "
            "there is no band for chance."
        ),
    },
    "arms.compare": {
        "ja": (
            "孤独（しばしば・時々）を感じる人の割合を、現状とパッケージで比べます。"
            "線は複数の試行の中央値、帯は5〜95%の範囲（偶然による幅）です。"
        ),
        "en": (
            "Share lonely (often or sometimes) under the baseline and the packages. Lines are the "
            "median over runs, bands the 5-95% range (chance)."
        ),
    },
    "age": {
        "ja": (
            "どの年齢の人の孤独が減ったかを、延べ人年で示します。棒が長いほど効果が大きい年齢です。"
        ),
        "en": "Which ages gain: person-years of loneliness averted by age group.",
    },
    "calibration": {
        "ja": (
            "モデルの12月の値（棒、ひげは年による幅）と、国の「人々のつながりに関する基礎調査」の"
            "年齢別の値（◆）を比べます。近いほどモデルが現実に合っています。"
        ),
        "en": (
            "The model's December values (bars; whiskers: range over years) against the national "
            "survey by age (diamonds). Closer means the model matches better."
        ),
    },
    "municipality": {
        "ja": "市町村ごとの違いです。効果が一部の市町村に偏っていないかを確認してください。",
        "en": "Differences between municipalities: check that gains are not limited to a few.",
    },
    "flows": {
        "ja": (
            "気づき→紹介→相談の待機→支援開始の流れと、待ちきれず離脱した人の数です（期間合計、実人口換算）。"
            "離脱が多いときは相談の受け皿が足りません。"
        ),
        "en": (
            "Noticed → referred → waiting → support started, and those who dropped out (whole "
            "period, full population). Many drop-outs mean too little consultation capacity."
        ),
    },
    "costs": {
        "ja": "年度ごとの費用を負担者別に積み上げたものです（百万円）。",
        "en": "Cost per fiscal year stacked by funder (million yen).",
    },
    "ce": {
        "ja": (
            "横軸は減った孤独の延べ人年、縦軸は追加費用です。右下ほど「安くてよく効く」パッケージです。"
            "小さな点は1回ごとの試行、大きな点は平均です。点線は1人年あたり費用の目安です。"
        ),
        "en": (
            "x: person-years of loneliness averted; y: added cost. Lower right is cheaper and more "
            "effective. Small dots are single runs, large ones means; dashed lines mark costs per "
            "person-year."
        ),
    },
    "comparison": {
        "ja": (
            "現状（同じ乱数）との差の一覧です。「回避」は現状－施策（正の値なら人年が減った）、"
            "「追加費用」は施策－現状（正の値なら費用が増えた）です。"
        ),
        "en": (
            "Differences from the paired baseline: “averted” is baseline - package (positive: "
            "fewer person-years), “added cost” is package - baseline (positive: more cost)."
        ),
    },
    "robustness": {
        "ja": (
            "不確かなパラメータや乱数を変えた条件（世界）ごとに、どのパッケージが最も効果的だったかの割合です。"
            "後悔（regret）は最良の選択と比べて失った人年です。"
        ),
        "en": (
            "In each world (uncertain parameters and seeds), which option averted the most: the "
            "share of worlds it was best, and its regret (person-years lost against the best)."
        ),
    },
    "decision": {
        "ja": (
            "不確かさ（乱数、較正の事後分布、施策効果の事前分布）から抽出した世界ごとに、"
            "孤独の延べ人年を最も多く減らす案を数えた割合が「最善の確率」です。95%以上なら"
            "「はっきり」、80%以上なら「おそらく」最善、それ未満は区別できないと書きます。"
            "範囲は世界の95%が入る幅で、平均の信頼区間ではありません。効果の範囲が0を含むとき、"
            "1人年あたりの費用は判定できません。"
        ),
        "en": (
            "In each world drawn from the uncertainty (seeds, the calibrated posterior, the "
            "effect priors) the option averting the most person-years is counted: the share is "
            "the probability of being best. 95% or more reads 'clearly', 80% or more "
            "'probably' best; below, the options are not distinguishable. Ranges hold 95% of "
            "worlds (not a confidence interval of the mean). When the effect's range includes "
            "zero the cost per person-year averted is not determined."
        ),
    },
    "ceac": {
        "ja": (
            "横軸は回避1人年に払ってよい額、縦軸はその額で純便益（払ってよい額×回避人年－追加費用）"
            "が最大になる確率です。額が0なら費用の最も少ない案（多くは追加の施策なし）、額が大きい"
            "ほど効果の大きい案の確率に近づきます。"
        ),
        "en": (
            "x: what one is willing to pay per person-year averted; y: the probability that an "
            "option has the highest net benefit (willingness to pay x person-years averted - "
            "added cost). At zero the cheapest option (usually no added package) wins; as the "
            "willingness to pay grows the curve tends to the probability of averting the most."
        ),
    },
    "sensitivity": {
        "ja": (
            "どのパラメータが結果を大きく左右するかを示します。DUMMY（モデルが使わない見せかけの"
            "パラメータ）より小さい値は、偶然と区別できません。"
        ),
        "en": (
            "Which parameters drive the results. Indices below the DUMMY parameter (which the "
            "model never reads) cannot be told from chance."
        ),
    },
    "groups": {
        "ja": "最後の12か月の平均です。どの属性の人に孤独が多いかを見ます。",
        "en": "Mean of the last 12 months: which groups are loneliest.",
    },
}


def read(key: str, lang: str, kind: str | None = None) -> str:
    """How to read section ``key`` ('' when there is no note); ``KEY.KIND`` first if defined."""
    entry = READ.get(f"{key}.{kind}") or READ.get(key)
    return "" if entry is None else entry[check_lang(lang)]

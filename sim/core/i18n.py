"""Japanese and English text for figures and reports.

A plain dictionary lookup: :func:`t` translates a key (a measure, a dimension, an axis label or a
title template) and :func:`group_label` turns the group codes of the tidy output table into
readable labels using :data:`sim.core.codes.LABELS`.
"""

from __future__ import annotations

from sim.core.codes import LABELS

LANGS: tuple[str, ...] = ("ja", "en")

TEXT: dict[str, dict[str, str]] = {
    # Five answers to the direct question 「孤独感をどの程度感じるか」.
    "often_always": {"ja": "しばしばある・常にある", "en": "Often or always"},
    "sometimes": {"ja": "時々ある", "en": "Sometimes"},
    "occasionally": {"ja": "たまにある", "en": "Occasionally"},
    "hardly_ever": {"ja": "ほとんどない", "en": "Hardly ever"},
    "never": {"ja": "決してない", "en": "Never"},
    # Summary and isolation measures.
    "any_loneliness": {"ja": "孤独感がある（計）", "en": "Any loneliness"},
    "ucla3_top": {"ja": "UCLA孤独感尺度 10-12点", "en": "UCLA-3 score 10-12"},
    "no_in_person_contact": {
        "ja": "同居していない家族や友人と直接会って話すことが全くない",
        "en": "Never meets family or friends living apart in person",
    },
    "no_in_person_contact.short": {"ja": "直接会う機会なし", "en": "No in-person contact"},
    "no_social_activity": {"ja": "社会活動への参加なし", "en": "No social activity"},
    "chronic_loneliness": {
        "ja": "慢性的な孤独（6か月以上）",
        "en": "Chronic loneliness (6+ months)",
    },
    "chronic_loneliness.short": {"ja": "慢性的な孤独", "en": "Chronic loneliness"},
    "mean_friends": {"ja": "友人数の平均", "en": "Mean number of friends"},
    # Dimensions of the tidy table.
    "all": {"ja": "全体", "en": "All"},
    "age_group": {"ja": "年齢階級", "en": "Age group"},
    "sex": {"ja": "性別", "en": "Sex"},
    "household_type": {"ja": "世帯類型", "en": "Household type"},
    "municipality": {"ja": "市町村", "en": "Municipality"},
    "by.age_group": {"ja": "年齢階級別", "en": "by age group"},
    "by.sex": {"ja": "男女別", "en": "by sex"},
    "by.household_type": {"ja": "世帯類型別", "en": "by household type"},
    "by.municipality": {"ja": "市町村別", "en": "by municipality"},
    # Axis labels.
    "axis.date": {"ja": "年月", "en": "Date"},
    "axis.share": {"ja": "割合（%）", "en": "Share (%)"},
    "axis.count": {"ja": "人数", "en": "Number"},
    # Titles, panel titles and notes ({...} fields are filled with str.format).
    "title.prevalence": {
        "ja": "孤独感・孤立の推移",
        "en": "Loneliness and social isolation over time",
    },
    "panel.categories": {
        "ja": "孤独感をどの程度感じるか（16歳以上）",
        "en": "How often do you feel lonely? (aged 16+)",
    },
    "panel.indicators": {
        "ja": "孤独感の指標と社会的孤立",
        "en": "Loneliness indicators and social isolation",
    },
    "title.by_group": {"ja": "{measure}：{by}", "en": "{measure} {by}"},
    "note.last_week": {"ja": "{date}時点", "en": "as of {date}"},
    "note.last_52_weeks": {
        "ja": "直近52週の平均（{start}～{end}）",
        "en": "mean of the last 52 weeks ({start} to {end})",
    },
    "note.seed_band": {
        "ja": "線：{n}回の試行の中央値、帯：5-95%範囲",
        "en": "Lines: median of {n} runs; bands: 5-95% range",
    },
    "note.seed_bars": {
        "ja": "{n}回の試行の中央値（ひげ：5-95%範囲）",
        "en": "median of {n} runs (whiskers: 5-95% range)",
    },
    "policy_start": {"ja": "施策開始", "en": "Policy start"},
    "age.range": {"ja": "{lo}～{hi}歳", "en": "{lo}-{hi}"},
    "age.open": {"ja": "{lo}歳以上", "en": "{lo}+"},
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is supported.

    Args:
        lang: Language code, ``"ja"`` or ``"en"``.

    Returns:
        The same code.

    Raises:
        ValueError: If the language is not supported.
    """
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGS)}")
    return lang


def has_text(key: str) -> bool:
    """Tell whether ``key`` has a translation.

    Args:
        key: Translation key.

    Returns:
        True if :func:`t` knows the key.
    """
    return key in TEXT


def t(key: str, lang: str) -> str:
    """Translate a key into the given language.

    Args:
        key: A measure name (``"any_loneliness"``), a dimension (``"age_group"``), or a text key
            such as ``"axis.date"`` or ``"title.prevalence"``.
        lang: ``"ja"`` or ``"en"``.

    Returns:
        The translated text, or ``key`` itself if the key is unknown.

    Raises:
        ValueError: If ``lang`` is not supported.
    """
    check_lang(lang)
    entry = TEXT.get(key)
    return key if entry is None else entry[lang]


def measure_label(measure: str, lang: str, *, short: bool = False) -> str:
    """Name a measure, optionally in the short form used in legends.

    Args:
        measure: Measure name as in the ``measure`` column.
        lang: ``"ja"`` or ``"en"``.
        short: Prefer the short form (for legends) where one exists.

    Returns:
        The translated name, or ``measure`` if it is unknown.

    Raises:
        ValueError: If ``lang`` is not supported.
    """
    if short and has_text(f"{measure}.short"):
        return t(f"{measure}.short", lang)
    return t(measure, lang)


def _age_label(group: str, lang: str) -> str:
    """Label an age group such as ``"20-29"`` or ``"80+"``."""
    if group.endswith("+"):
        return t("age.open", lang).format(lo=group[:-1])
    lo, sep, hi = group.partition("-")
    if not sep:
        return group
    return t("age.range", lang).format(lo=lo, hi=hi)


def group_label(dimension: str, group: object, lang: str) -> str:
    """Turn a group code of the tidy table into a readable label.

    Args:
        dimension: ``"all"``, ``"age_group"``, ``"sex"``, ``"household_type"`` or
            ``"municipality"`` (or any key of :data:`sim.core.codes.LABELS`).
        group: The group value: a code such as ``"1"`` or ``1`` (or its English label, such as
            ``"female"``) for coded dimensions, an age
            group such as ``"20-29"``, or a municipality name.
        lang: ``"ja"`` or ``"en"``.

    Returns:
        The label. Municipality names are returned unchanged in both languages; unknown codes
        are returned as ``str(group)``.

    Raises:
        ValueError: If ``lang`` is not supported.
    """
    check_lang(lang)
    text = str(group)
    if dimension == "all":
        return t("all", lang)
    if dimension == "age_group":
        return _age_label(text, lang)
    if dimension in LABELS:
        try:
            return LABELS[dimension][lang].get(int(text), text)
        except ValueError:  # an English label (summary.csv writes labels, not codes)
            codes = {v: k for k, v in LABELS[dimension]["en"].items()}
            return LABELS[dimension][lang].get(codes[text], text) if text in codes else text
    return text

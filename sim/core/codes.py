"""Integer codes for categorical resident attributes, with Japanese and English labels."""

from __future__ import annotations

from enum import IntEnum


class Sex(IntEnum):
    """Sex as recorded by the census."""

    MALE = 0
    FEMALE = 1


class Activity(IntEnum):
    """Main activity (census labour status, with children and students split out)."""

    CHILD = 0  # pre-school, not in school
    STUDENT = 1  # elementary school to university
    EMPLOYED = 2
    UNEMPLOYED = 3
    HOMEMAKER = 4  # not in labour force, working age, keeping house
    RETIRED = 5  # not in labour force, older


class HouseholdType(IntEnum):
    """Census family type of a general household."""

    SINGLE = 0  # 単独世帯
    COUPLE = 1  # 夫婦のみ
    COUPLE_CHILDREN = 2  # 夫婦と子供
    SINGLE_PARENT = 3  # ひとり親と子供
    OTHER = 4  # 三世代・その他の親族・非親族を含む


class Marital(IntEnum):
    """Marital status."""

    NEVER = 0
    MARRIED = 1
    WIDOWED_DIVORCED = 2


class Category(IntEnum):
    """Answer to the survey's direct question 「孤独感をどの程度感じるか」."""

    NEVER = 0  # 決してない
    HARDLY_EVER = 1  # ほとんどない
    OCCASIONALLY = 2  # たまにある
    SOMETIMES = 3  # 時々ある
    OFTEN_ALWAYS = 4  # しばしばある・常にある


LABELS: dict[str, dict[str, dict[int, str]]] = {
    "sex": {
        "ja": {0: "男性", 1: "女性"},
        "en": {0: "male", 1: "female"},
    },
    "activity": {
        "ja": {0: "未就学", 1: "学生", 2: "就業者", 3: "失業者", 4: "家事", 5: "退職・非就業"},
        "en": {
            0: "pre-school",
            1: "student",
            2: "employed",
            3: "unemployed",
            4: "homemaker",
            5: "retired",
        },
    },
    "household_type": {
        "ja": {0: "単独世帯", 1: "夫婦のみ", 2: "夫婦と子供", 3: "ひとり親と子供", 4: "その他"},
        "en": {
            0: "single-person",
            1: "couple only",
            2: "couple with children",
            3: "single parent",
            4: "other",
        },
    },
    "category": {
        "ja": {
            0: "決してない",
            1: "ほとんどない",
            2: "たまにある",
            3: "時々ある",
            4: "しばしばある・常にある",
        },
        "en": {
            0: "never",
            1: "hardly ever",
            2: "occasionally",
            3: "sometimes",
            4: "often or always",
        },
    },
}

# Survey age groups used for outputs (lower bound inclusive, upper exclusive).
AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("0-15", 0, 16),
    ("16-19", 16, 20),
    ("20-29", 20, 30),
    ("30-39", 30, 40),
    ("40-49", 40, 50),
    ("50-59", 50, 60),
    ("60-69", 60, 70),
    ("70-79", 70, 80),
    ("80+", 80, 200),
)

"""Declared parameters of noticing, referral, help-seeking and the effect of support.

Effect sizes are trial SMDs with priors from ``sim/data/intervention_evidence.csv`` (one row per
lever type: population, outcome, follow-up, primary source; docs/evidence.md). An SMD becomes a
latent shift through a factor per lever type (``latent_per_smd_*``, unit latent/SMD) found by a
virtual trial (``tsunagari trial LEVER_TYPE calibrate=true``, :mod:`experiments.trial`): lonely
residents recruited as trials recruit them, randomised, and measured on the UCLA-3 score, so the
model's trial reproduces the meta-analytic SMD. During a support episode the latent target is
shifted so that the expected fall at its end equals ``SMD x latent_per_smd``; after the episode
the shift reached is held and halves every ``support_halflife_weeks`` (see docs/ODD.md,
"Support").
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.core.params import param

EVIDENCE = "sim/data/intervention_evidence.csv"


@dataclass
class ServiceParams:
    """How residents are noticed, referred and helped, and how much help helps."""

    smd_support: float = param(
        -0.13,
        unit="SMD",
        low=-0.50,
        high=0.0,
        uncertain=True,
        source=f"{EVIDENCE}: social_support (Veronese et al. 2021, 9 RCTs: -0.13 [-0.25, -0.01]; "
        "Masi et al. 2011 randomised social-support studies -0.16); low end: all-type RCT pool "
        "(Lasgaard et al. 2025, -0.50); prior normal(-0.13, 0.06)",
        doc="trial SMD of an in-person consultation or support episode on lonely adults",
    )
    smd_remote: float = param(
        -0.41,
        unit="SMD",
        low=-0.70,
        high=0.0,
        uncertain=True,
        source=f"{EVIDENCE}: remote (Front Psychol 2022, 13 RCTs in older adults: -0.41 "
        "[-0.70, -0.13]); high end: technology in 60+ (Front Psychol 2021: -0.08 [-0.33, 0.17]); "
        "prior normal(-0.41, 0.145)",
        doc="trial SMD of a support episode by phone, SNS or AI chat on lonely older adults",
    )
    smd_role: float = param(
        -0.10,
        unit="SMD",
        low=-0.27,
        high=0.0,
        uncertain=True,
        source=f"{EVIDENCE}: role (assumption, prior uniform(-0.27, 0): no loneliness trial of "
        "roles; bounded by the whole group programme, Shekelle et al. 2024 -0.27; JAGES role "
        "findings are about depressive onset and are not used for the size)",
        doc="trial SMD of holding a role at a venue over attending without one",
    )
    latent_per_smd_support: float = param(
        0.620,
        unit="latent/SMD",
        low=0.05,
        high=3.0,
        source="virtual trial: `tsunagari trial support calibrate=true` (docs/evidence.md)",
        doc="latent shift per SMD of an in-person episode, so the model's trial reproduces "
        "smd_support (replaces the whole-population SD conversion)",
    )
    latent_per_smd_remote: float = param(
        0.619,
        unit="latent/SMD",
        low=0.05,
        high=3.0,
        source="virtual trial: `tsunagari trial remote calibrate=true` (docs/evidence.md)",
        doc="latent shift per SMD of a remote episode, so the model's trial reproduces smd_remote",
    )
    latent_per_smd_role: float = param(
        1.894,
        unit="latent/SMD",
        low=0.05,
        high=3.0,
        source="virtual trial: `tsunagari trial role calibrate=true` (docs/evidence.md)",
        doc="latent shift per SMD of a venue role, so the model's trial reproduces smd_role",
    )
    support_halflife_weeks: float = param(
        52.0,
        unit="weeks",
        low=8.0,
        high=260.0,
        uncertain=True,
        source=f"{EVIDENCE}: persistence (Lasgaard et al. 2025: effects at 1-6 months comparable "
        "to <=4 weeks; Duffner et al. 2024: 57.6% of studies with follow-up sustained; low end: "
        "EJIHPE 2025, no significant effect at follow-up)",
        doc="half-life of an episode's effect after it ends (the latent shift reached is held "
        "and halves in this time)",
    )
    venue_weight: float = param(
        1.5,
        unit="contact/session",
        low=0.3,
        high=3.0,
        uncertain=True,
        source="assumption",
        doc="contact value of attending a venue session",
    )
    venue_decay_km: float = param(
        0.35,
        unit="km",
        low=0.1,
        high=2.0,
        uncertain=True,
        source="Hikichi et al. 2015: Taketoyo salons within 350 m of home (instrument)",
        doc="distance scale of the fall in joining with distance from home",
    )
    venue_join: float = param(
        0.01,
        unit="1/week",
        low=0.0,
        high=0.1,
        uncertain=True,
        source="assumption",
        doc="weekly chance an eligible resident at the venue's door joins on their own",
    )
    venue_leave: float = param(
        0.01,
        unit="1/week",
        low=0.0,
        high=0.1,
        uncertain=True,
        source="assumption",
    )
    venue_attend: float = param(
        0.7,
        unit="share",
        low=0.2,
        high=1.0,
        uncertain=True,
        source="assumption",
        doc="share of sessions a member attends when taking part that week",
    )
    venue_form: float = param(
        0.05,
        unit="1/session",
        low=0.0,
        high=0.3,
        uncertain=True,
        source="assumption",
        doc="chance an attendee befriends a co-attendee at a session",
    )
    notice_neighbour: float = param(
        0.002,
        unit="1/week",
        low=0.0,
        high=0.02,
        uncertain=True,
        source="assumption",
        doc="chance a lonely or isolated resident is noticed by neighbours in a week",
    )
    notice_supporter: float = param(
        0.01,
        unit="1/week per supporter/1000",
        low=0.0,
        high=0.05,
        uncertain=True,
        source="assumption",
        doc="noticing hazard per unit of supporter density at training 1",
    )
    notice_visit: float = param(
        0.5,
        unit="share",
        low=0.0,
        high=1.0,
        uncertain=True,
        source="assumption",
        doc="chance a welfare volunteer's visit notices a lonely or isolated resident",
    )
    notice_venue: float = param(
        0.05,
        unit="1/week",
        low=0.0,
        high=0.3,
        uncertain=True,
        source="assumption",
        doc="chance venue staff notice a lonely attendee in a week",
    )
    referral_success: float = param(
        0.5,
        unit="share",
        low=0.2,
        high=0.9,
        uncertain=True,
        source=f"{EVIDENCE}: CommunityRx ABM, about half of referrals passed on",
    )
    platform_boost: float = param(
        0.01,
        unit="share/member",
        low=0.0,
        high=0.03,
        uncertain=True,
        source="assumption",
        doc="referral success added per platform member (saturating at +0.3)",
    )
    venue_referral_uptake: float = param(
        0.5,
        unit="share",
        low=0.0,
        high=1.0,
        uncertain=True,
        source=f"{EVIDENCE}: CommunityRx, about half act on a resource referral",
        doc="chance a referred resident joins the nearest venue with room",
    )
    supporter_followup: float = param(
        0.5,
        unit="1/week",
        low=0.0,
        high=1.0,
        uncertain=True,
        source="assumption",
        doc="weekly chance (times training) a supporter visits a resident with a pending referral",
    )
    referral_delay_weeks: int = param(
        2, unit="weeks", low=0, high=12, uncertain=True, source="assumption"
    )
    help_seeking: float = param(
        0.01,
        unit="1/week",
        low=0.0,
        high=0.05,
        uncertain=True,
        source=f"{EVIDENCE} / 基礎調査 R3: 83.7% of the often/always lonely get no support",
        doc="weekly chance a lonely resident who knows of the services seeks help",
    )
    unaware_factor: float = param(
        0.2,
        unit="share",
        low=0.0,
        high=1.0,
        uncertain=True,
        source="assumption",
        doc="help-seeking of residents who do not know of the services, relative",
    )
    aware_share: float = param(
        0.142,
        unit="share",
        low=0.05,
        high=0.5,
        source="Cabinet Office poll 2025-12: 14.2% aware of government loneliness measures",
    )
    digital_preference: float = param(
        0.5,
        unit="share",
        low=0.0,
        high=1.0,
        uncertain=True,
        source="assumption",
        doc="share of help-seekers with digital access who choose a digital channel if offered",
    )
    wait_dropout: float = param(
        0.1,
        unit="1/week",
        low=0.0,
        high=0.5,
        uncertain=True,
        source="assumption",
        doc="weekly chance a waiting resident gives up",
    )
    visit_contact: float = param(
        0.5,
        unit="contact/visit",
        low=0.0,
        high=2.0,
        uncertain=True,
        source="assumption",
        doc="contact value of a supporter or volunteer visit",
    )


#: Prior of each effect parameter: (distribution, evidence row of ``EVIDENCE``). Distributions
#: are written ``normal(mean, sd)`` or ``uniform(low, high)``; sensitivity analysis samples the
#: declared range, these are the priors a Bayesian analysis would use. Kept beside the
#: declarations and checked against the evidence table by tests/policy/test_evidence.py.
PRIORS: dict[str, tuple[str, str]] = {
    "smd_support": ("normal(-0.13, 0.06)", "support"),
    "smd_remote": ("normal(-0.41, 0.145)", "remote"),
    "smd_role": ("uniform(-0.27, 0.0)", "role"),
    "support_halflife_weeks": ("uniform(8, 260)", "persistence"),
}

"""Declared parameters of noticing, referral, help-seeking and the effect of support.

Effect sizes come from ``sim/data/intervention_evidence.csv``. A standardised mean difference
(SMD) is converted to the model's latent scale by multiplying by the standard deviation of
latent loneliness among residents aged 16+ (measured in the run unless ``latent_sd`` is set), and
applied as a shift of the latent target during a support episode, scaled so that the expected
fall at the end of the episode equals ``SMD x latent_sd`` (see docs/ODD.md, "Support").
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.core.params import param

EVIDENCE = "sim/data/intervention_evidence.csv"


@dataclass
class ServiceParams:
    """How residents are noticed, referred and helped, and how much help helps."""

    smd_support: float = param(
        -0.47,
        unit="SMD",
        low=-1.11,
        high=-0.13,
        uncertain=True,
        source=f"{EVIDENCE}: loneliness RCTs SMD -0.47 (54 RCTs); range from remote -0.13 to "
        "Coppola 2025 -1.11",
        doc="effect of an in-person consultation or support episode",
    )
    smd_remote: float = param(
        -0.41,
        unit="SMD",
        low=-0.70,
        high=-0.13,
        uncertain=True,
        source=f"{EVIDENCE}: remote interventions for older adults SMD -0.41 [-0.70, -0.13]",
        doc="effect of a support episode by phone, SNS or AI chat",
    )
    smd_role: float = param(
        -0.2,
        unit="SMD",
        low=-0.6,
        high=0.0,
        uncertain=True,
        source=f"{EVIDENCE}: JAGES participation and roles (24-26% lower depressive onset); "
        "size assumed",
        doc="extra effect of having a role at a venue, beyond the contact of attending",
    )
    latent_sd: float = param(
        0.0,
        unit="latent",
        low=0.0,
        high=1.5,
        source="0 = measured in each run: SD of latent loneliness among residents 16+, taken at "
        "the first support episode and again as the horizon starts (docs/ODD.md)",
        doc="converts SMD into latent units; 0 measures it from the simulated population",
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
        source="assumption",
    )
    venue_attend: float = param(
        0.7,
        unit="share",
        low=0.2,
        high=1.0,
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
        source="assumption",
        doc="chance a welfare volunteer's visit notices a lonely or isolated resident",
    )
    notice_venue: float = param(
        0.05,
        unit="1/week",
        low=0.0,
        high=0.3,
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
        source="assumption",
        doc="weekly chance (times training) a supporter visits a resident with a pending referral",
    )
    referral_delay_weeks: int = param(2, unit="weeks", low=0, high=12, source="assumption")
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
        source="assumption",
        doc="contact value of a supporter or volunteer visit",
    )

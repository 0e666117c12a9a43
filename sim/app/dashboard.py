"""The dashboard's model: a policy package plus slider levers, run weekly at a reduced scale.

:class:`DashboardModel` is the ``mesa.Model`` that the Solara app (:mod:`sim.app.dashboard_app`)
rebuilds whenever the planner presses Reset. Its keyword arguments are the controls: region,
package, and the levers added on top of the package (supporter density, venues per zone and their
capacity, a digital consultation channel, wide-area cooperation). Every value is checked by
:func:`check_settings`; a bad value does not raise but leaves the model stopped with
:attr:`DashboardModel.error` holding a one-line message that the app shows.

In the dashboard every lever of the package that has a start date starts at week 0 (its
duration is kept), so the planner sees its effect at once; the slider levers start at week 0
too. Burn-in is short (:data:`BURN_IN_WEEKS`), so results are illustrative only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache

import mesa
import numpy as np
import pandas as pd

# The server launcher lives in sim.app.dashboard_launch; the tests import these names here.
from sim.app.dashboard_launch import serve, serve_command, serve_env  # noqa: F401
from sim.config import RunConfig, compose_config, load_configured_region
from sim.core.params import ConfigError, param, validate
from sim.policy.levers import LEVER_TYPES, Consultation, Lever, Supporters, Venue
from sim.policy.scenario import Scenario, load_scenario, scenario_dir
from sim.world.region import Region

REGIONS: dict[str, dict[str, str]] = {
    "tottori": {"ja": "鳥取県", "en": "Tottori"},
    "kochi": {"ja": "高知県", "en": "Kochi"},
}
"""Regions offered (small prefectures: a reduced-scale model builds in about a second)."""

DIGITAL_OPTIONS: tuple[str, ...] = ("none", "sns", "ai_chat")
"""Digital consultation channel added by the dashboard (``none`` adds nothing)."""

BURN_IN_WEEKS = 26
YEARS = 3
DIGITAL_CAPACITY_PER_10K = 2.0
LEVER_PREFIX = "dashboard_"


@dataclass
class DashboardSettings:
    """The dashboard's controls, with the ranges the sliders allow.

    Attributes:
        region: a key of :data:`REGIONS`.
        package: a scenario of the library (``scenarios/<package>.yaml``).
        supporters_per_1000: connection supporters added per 1,000 residents.
        venues_per_zone: places to belong (salons) added per zone (school district).
        venue_capacity: members per added venue.
        digital_channel: digital consultation channel added (``none``, ``sns`` or ``ai_chat``).
        wide_area: add wide-area cooperation (only if the ``wide_area`` lever exists).
        scale: share of the census population simulated.
        seed: random seed.
        lang: ``ja`` or ``en``.
    """

    region: str = "tottori"
    package: str = "baseline"
    supporters_per_1000: float = param(
        0.0, unit="supporters/1000 residents", low=0.0, high=20.0, source="dashboard slider"
    )
    venues_per_zone: float = param(
        0.0, unit="venues/zone", low=0.0, high=5.0, source="dashboard slider"
    )
    venue_capacity: int = param(20, unit="persons", low=5, high=100, source="dashboard slider")
    digital_channel: str = "none"
    wide_area: bool = False
    scale: float = param(0.01, unit="share", low=0.002, high=0.03, source="dashboard slider")
    seed: int = param(42, unit="-", low=0, high=2**31 - 1, source="dashboard input")
    lang: str = "ja"


def check_settings(s: DashboardSettings) -> DashboardSettings:
    """Check every control and return the settings with numbers in their proper types.

    Args:
        s: settings as the controls gave them (the seed may be text from an input box).

    Returns:
        The same settings, with ``seed`` and ``venue_capacity`` as int and the others as float.

    Raises:
        ConfigError: one line naming the control and the problem.
    """
    if s.region not in REGIONS:
        raise ConfigError(f"region: '{s.region}' is not one of {', '.join(REGIONS)}")
    if s.package not in package_names():
        raise ConfigError(f"package: unknown scenario '{s.package}'; see `tsunagari scenarios`")
    if s.digital_channel not in DIGITAL_OPTIONS:
        raise ConfigError(
            f"digital_channel: '{s.digital_channel}' is not one of {', '.join(DIGITAL_OPTIONS)}"
        )
    if not isinstance(s.wide_area, bool | np.bool_):
        raise ConfigError(f"wide_area: expected true or false, got {s.wide_area!r}")
    if s.lang not in ("ja", "en"):
        raise ConfigError(f"lang: must be 'ja' or 'en', got {s.lang!r}")
    numbers = {
        "supporters_per_1000": float,
        "venues_per_zone": float,
        "venue_capacity": int,
        "scale": float,
        "seed": int,
    }
    values = {name: _number(name, getattr(s, name), kind) for name, kind in numbers.items()}
    out = dataclasses.replace(s, wide_area=bool(s.wide_area), **values)
    validate(out, DashboardSettings)
    return out


def _number(name: str, value: object, kind: type) -> int | float:
    """Convert a control's value (number or text) to ``kind``, or raise a one-line error."""
    if isinstance(value, bool) or value is None:
        raise ConfigError(f"{name}: expected a number, got {value!r}")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{name}: must be a finite number, got {value!r}")
    if kind is int:
        if number != int(number):
            raise ConfigError(f"{name}: expected a whole number, got {value!r}")
        return int(number)
    return number


@lru_cache(maxsize=1)
def package_names() -> tuple[str, ...]:
    """Names of the scenario library (the packages the planner may pick)."""
    return tuple(p.stem for p in sorted(scenario_dir().glob("*.yaml")))


def build_scenario(s: DashboardSettings, start_date: str) -> Scenario:
    """The chosen package, started at week 0, plus the levers of the sliders.

    Args:
        s: checked settings (see :func:`check_settings`).
        start_date: the model's first recorded week (ISO date).

    Returns:
        A validated scenario named ``<package>+dashboard``.

    Raises:
        ConfigError: if a lever cannot be built or is out of its declared range.
    """
    base = load_scenario(s.package)
    levers = [_start_at(lv, start_date) for lv in base.levers]
    for lever in slider_levers(s, start_date):
        try:
            validate(lever, type(lever), prefix="")
        except ConfigError as exc:
            raise ConfigError(f"{lever.id}.{exc}") from None
        levers.append(lever)
    return Scenario(
        name=f"{base.name}+dashboard",
        title=base.title,
        description=base.description,
        request_section=base.request_section,
        levers=levers,
        source=f"dashboard ({base.source})",
    )


def slider_levers(s: DashboardSettings, start_date: str) -> list[Lever]:
    """The levers the sliders add on top of the package (none at the default settings)."""
    common = {"start": start_date, "funder": "municipality"}
    out: list[Lever] = []
    if s.supporters_per_1000 > 0:
        out.append(
            Supporters(id=f"{LEVER_PREFIX}supporters", per_1000=s.supporters_per_1000, **common)
        )
    if s.venues_per_zone > 0:
        out.append(
            Venue(
                id=f"{LEVER_PREFIX}venue",
                kind="salon",
                per_zone=s.venues_per_zone,
                capacity=s.venue_capacity,
                **common,
            )
        )
    if s.digital_channel != "none":
        out.append(
            Consultation(
                id=f"{LEVER_PREFIX}{s.digital_channel}",
                channel=s.digital_channel,
                capacity_per_10k=DIGITAL_CAPACITY_PER_10K,
                episode_weeks=8,
                **common,
            )
        )
    if s.wide_area:
        try:
            out.append(LEVER_TYPES["wide_area"](id=f"{LEVER_PREFIX}wide_area", **common))
        except TypeError as exc:
            raise ConfigError(f"wide_area: cannot build the lever: {exc}") from None
    return out


def _start_at(lever: Lever, start_date: str) -> Lever:
    """Move a dated lever to start at ``start_date``, keeping how long it runs."""
    if lever.start is None:
        return lever
    start = dt.date.fromisoformat(start_date)
    end = None
    if lever.end is not None:
        length = dt.date.fromisoformat(str(lever.end)) - dt.date.fromisoformat(str(lever.start))
        end = (start + length).isoformat()
    return dataclasses.replace(lever, start=start_date, end=end)


@lru_cache(maxsize=16)
def _config(region: str, scale: float, seed: int, lang: str) -> RunConfig:
    """Composed configuration (Hydra composition takes about a second, so it is cached)."""
    overrides = [
        f"region={region}",
        f"population.scale={scale}",
        f"burn_in_weeks={BURN_IN_WEEKS}",
        f"years={YEARS}",
        f"seed={seed}",
        f"lang={lang}",
    ]
    return compose_config(overrides, check_region=False)


@lru_cache(maxsize=4)
def _region(region: str) -> Region:
    return load_configured_region(_config(region, 0.01, 0, "ja"))


class DashboardModel(mesa.Model):
    """A :class:`sim.engine.model.LonelinessModel` built from the dashboard's controls.

    The constructor checks the controls, builds the scenario and the model, and runs the
    burn-in; ``step()`` advances one week. The keyword names are the controls of
    :func:`sim.app.dashboard_app.model_params`.

    Attributes:
        settings: the checked settings (the defaults if the controls were invalid).
        error: one-line message if a control was invalid (then :attr:`sim` is None).
        sim: the underlying model, or None.
        notes: remarks for the planner (e.g. a lever that is not available yet).
    """

    def __init__(
        self,
        region: str = "tottori",
        package: str = "baseline",
        supporters_per_1000: float = 0.0,
        venues_per_zone: float = 0.0,
        venue_capacity: int = 20,
        digital_channel: str = "none",
        wide_area: bool = False,
        scale: float = 0.01,
        seed: int | str = 42,
        lang: str = "ja",
    ) -> None:
        raw = DashboardSettings(
            region, package, supporters_per_1000, venues_per_zone, venue_capacity,
            digital_channel, wide_area, scale, seed, lang,
        )  # fmt: skip
        self.error: str | None = None
        self.notes: list[str] = []
        self.sim = None
        self._table: tuple[int, pd.DataFrame] | None = None
        try:
            self.settings = check_settings(raw)
        except ConfigError as exc:
            self.settings = DashboardSettings(lang=lang if lang in ("ja", "en") else "ja")
            self.error = str(exc)
        super().__init__(rng=self.settings.seed)
        if self.error is None:
            self._build()
        self.running = self.sim is not None

    def _build(self) -> None:
        from sim.engine.model import (  # the engine is imported only when needed
            LonelinessModel,
            iter_weeks,
        )

        s = self.settings
        try:
            cfg = _config(s.region, s.scale, s.seed, s.lang)
            scenario = build_scenario(s, cfg.start_date)
            self.sim = LonelinessModel(cfg, _region(s.region), scenario)
        except ConfigError as exc:
            self.error = str(exc)
            return
        for _ in iter_weeks(self.sim, until=0):  # the burn-in
            pass

    def step(self) -> None:
        """Advance one week; stop at the end of the horizon (or do nothing after an error)."""
        from sim.engine.model import iter_weeks

        if self.sim is None or self.sim.week >= self.sim.cfg.years * 52:
            self.running = False
            return
        for _ in iter_weeks(self.sim, weeks=1):
            pass
        if self.sim.week >= self.sim.cfg.years * 52:
            self.sim.finalize()

    @property
    def n_residents(self) -> int:
        """Simulated residents (0 without a model)."""
        return 0 if self.sim is None else int(self.sim.pop.n)

    @property
    def week(self) -> int:
        """Weeks since the policy start (0 before the first step)."""
        return 0 if self.sim is None else int(self.sim.week)

    @property
    def date(self) -> str:
        """Date of the next week to simulate (ISO)."""
        if self.sim is None:
            return ""
        return str(self.sim.start_date + np.timedelta64(7 * self.sim.week, "D"))

    @property
    def added_levers(self) -> list[Lever]:
        """Levers added by the sliders (as built into the running scenario)."""
        if self.sim is None:
            return []
        return [lv for lv in self.sim.scenario.levers if lv.id.startswith(LEVER_PREFIX)]

    def table(self) -> pd.DataFrame:
        """Tidy table of every monthly record so far (cached until the next record)."""
        if self.sim is None:
            return pd.DataFrame(columns=["week", "date", "measure", "dimension", "group", "value"])
        rec = self.sim.recorder
        if self._table is None or self._table[0] != rec.i:
            self._table = (rec.i, rec.table(self.sim.start_date))
        return self._table[1]

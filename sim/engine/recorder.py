"""Aggregate reporters: the simulated survey each month, by group, into preallocated arrays.

At each record week (the first week of every calendar month) residents aged 16+ answer the
simulated survey (:mod:`sim.engine.survey`), and every measure is computed for the whole region and
for
each age group, sex, household type and municipality. Values go into a preallocated array
``(record, measure, group)``; :meth:`Recorder.table` turns it into a tidy long table.

The recorder only observes: it changes nothing on the model. The service accumulators it reads
(flows, costs and bills since the last record) are reset by the plan's ``reset_period`` row.

Group sums are taken one measure at a time, in float64 (a sparse matrix-vector product per
measure), so a group of any size is summed exactly (float32 sums of ones stop at 2**24, about
16.8 million, which a national partition's adults exceed) and no (resident x measure) matrix is
held.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim.core.codes import AGE_GROUPS, Category
from sim.core.measures import CATEGORIES
from sim.engine.survey import SURVEY_MIN_AGE, direct_question, ucla3

CATEGORY_MEASURES = CATEGORIES
MEASURES = (
    *CATEGORY_MEASURES,
    "any_loneliness",
    "ucla3_top",
    "ucla3_mean",
    "no_in_person_contact",
    "no_social_activity",
    "chronic_loneliness",
    "mean_friends",
    "mean_contact",
    "never_meets_in_person",
    "never_phones",
    "never_messages",
    "talks_at_most_fortnightly",
    "no_close_friends",
    "has_someone_to_rely_on",
)

#: The ``group`` dimension: cross-tabulated groups of the isolation surveys, recomputed at each
#: record (living alone and living with a spouse change with bereavement and re-partnering).
CROSS_GROUPS = (
    "age65plus_living_alone_male",
    "age65plus_living_alone_female",
    "age65plus_male_with_spouse",
    "age60plus",
    "age16plus",
)


def living_alone(model) -> np.ndarray:
    """Residents living alone now: no co-resident, not in an institution (changes in a run)."""
    pop = model.pop
    return (model.res.cohabitants == 0) & ~pop.household_institutional[pop.household]


def cross_group_masks(model) -> np.ndarray:
    """Membership of each resident in each of :data:`CROSS_GROUPS` now, shape (groups, n)."""
    pop, r = model.pop, model.res
    old = pop.age >= 65
    alone = living_alone(model)
    male = pop.sex == 0
    return np.stack(
        [
            old & alone & male,
            old & alone & ~male,
            old & male & r.partner_home,
            pop.age >= 60,
            pop.age >= SURVEY_MIN_AGE,
        ]
    )


def talk_weeks(history: np.ndarray) -> np.ndarray:
    """Weeks of the last four in which a resident talked with anyone (bit count of 4 bits)."""
    h = history.astype(np.uint8)
    return (h & 1) + ((h >> 1) & 1) + ((h >> 2) & 1) + ((h >> 3) & 1)


def _rows_of(masks: np.ndarray) -> sp.csr_matrix:
    """A (groups x residents) float64 indicator matrix from boolean masks, built row by row."""
    indices = [np.flatnonzero(mask) for mask in masks]
    indptr = np.concatenate([[0], np.cumsum([len(i) for i in indices])])
    data = np.ones(int(indptr[-1]), np.float64)
    return sp.csr_matrix((data, np.concatenate(indices), indptr), shape=masks.shape)


class Recorder:
    """Monthly survey measures by group, preallocated for the whole horizon.

    Args:
        model: the model (population, state, streams and parameters).
        record_weeks: week indices (0 = policy start) at which to record.
    """

    def __init__(self, model, record_weeks: np.ndarray) -> None:
        self.weeks = np.asarray(record_weeks, dtype=np.int64)
        self._week_set = frozenset(self.weeks.tolist())
        #: the population changes (demography): groups are recomputed at every record
        self.dynamic = getattr(model, "alive", None) is not None
        self._groups(model)
        self.n_static = sum(len(labels) for _, _, labels in self.dims)
        self.n_groups = self.n_static + len(CROSS_GROUPS)
        self.group_n = np.concatenate(
            [self._static_n(), cross_group_masks(model).sum(axis=1)]
        ).astype(np.int64)
        self.values = np.full((self.weeks.size, len(MEASURES), self.n_groups), np.nan)
        self.n = np.zeros((self.weeks.size, self.n_groups), dtype=np.int64)
        self.i = 0
        self.latest: dict[str, float] = {}
        self.service_frames: list[pd.DataFrame] = []

    def _groups(self, model) -> None:
        """Who belongs to which group now: residents aged 16+ (living ones) by dimension."""
        pop = model.pop
        self.adult = pop.age >= SURVEY_MIN_AGE
        munis = model.region.municipalities
        self.dims: list[tuple[str, np.ndarray, list[str]]] = [
            ("all", np.zeros(pop.n, np.int64), ["all"]),
            # band 0 (0-15) is never surveyed; it is kept as a label so codes stay aligned
            ("age_group", model.res.band.astype(np.int64), [g for g, _, _ in AGE_GROUPS]),
            ("sex", pop.sex.astype(np.int64), ["0", "1"]),
            (
                "household_type",
                pop.resident_household_type().astype(np.int64),
                [str(k) for k in range(5)],
            ),
            ("municipality", pop.municipality.astype(np.int64), list(munis["name"])),
        ]
        self.membership = self._membership(pop.n)

    def _membership(self, n: int) -> sp.csr_matrix:
        """Sparse (group x resident) indicator: one column entry per dimension, adults only."""
        rows, offset = [], 0
        for _, key, labels in self.dims:
            rows.append(key + offset)
            offset += len(labels)
        rows = np.concatenate(rows)
        cols = np.tile(np.arange(n), len(self.dims))
        keep = np.tile(self.adult, len(self.dims))
        data = np.ones(int(keep.sum()), np.float64)
        return sp.csr_matrix((data, (rows[keep], cols[keep])), shape=(offset, n))

    def _static_n(self) -> np.ndarray:
        """Adults in each static group (row lengths of the membership matrix)."""
        return np.diff(self.membership.indptr).astype(np.int64)

    def _all_dims(self) -> list[tuple[str, np.ndarray | None, list[str]]]:
        """The static dimensions, then ``group`` (the cross-tabulated groups)."""
        return [*self.dims, ("group", None, list(CROSS_GROUPS))]

    def due(self, week: int) -> bool:
        """Whether ``week`` is the next record week still to be recorded."""
        return self.i < self.weeks.size and self.weeks[self.i] == week

    def is_record_week(self, week: int) -> bool:
        """Whether ``week`` is a record week (whether or not it has been recorded yet)."""
        return week in self._week_set

    def latest_group(self, dimension: str, index: int) -> tuple[int, dict[str, float]]:
        """Surveyed residents and measures of one group at the latest record.

        Args:
            dimension: a dimension of the table (``all``, ``age_group``, ``sex``,
                ``household_type``, ``municipality``).
            index: the group's position within the dimension.

        Returns:
            The number of residents surveyed and every measure (empty before the first record).
        """
        offset = 0
        for name, _, labels in self._all_dims():
            if name == dimension:
                break
            offset += len(labels)
        else:
            raise KeyError(dimension)
        g = offset + index
        if self.i == 0:
            return int(self.group_n[g]), {}
        values = self.values[self.i - 1, :, g]
        return int(self.n[self.i - 1, g]), {
            m: float(v) for m, v in zip(MEASURES, values, strict=True)
        }

    def record(self, model) -> None:
        """Run the simulated survey and store every measure for every group."""
        r, sp_ = model.res, model.params_survey
        if self.dynamic:
            self._groups(model)
            self.group_n[: self.n_static] = self._static_n()
        rng = model.stream("survey")
        cat = direct_question(r.latent, sp_, rng)
        ucla = ucla3(r.latent, sp_, rng)
        isolated = r.weeks_no_friend >= sp_.isolation_weeks
        measures = (
            *(lambda k=k: cat == k for k in Category),
            lambda: cat >= Category.OCCASIONALLY,
            lambda: ucla >= 10,
            lambda: ucla,
            lambda: isolated,
            lambda: ~model.socially_active(),
            lambda: r.lonely_weeks >= sp_.chronic_weeks,
            lambda: model.friends.degree,
            lambda: r.contact,
            lambda: isolated,
            lambda: r.weeks_no_call >= sp_.isolation_weeks,
            lambda: r.weeks_no_message >= sp_.isolation_weeks,
            lambda: talk_weeks(r.talk_history) <= 2,
            lambda: r.close_friends == 0,
            lambda: r.rely_on,
        )
        cross = _rows_of(cross_group_masks(model))
        sums = np.empty((self.n_groups, len(MEASURES)))
        for j, measure in enumerate(measures):
            x = np.asarray(measure(), dtype=np.float64)
            sums[: self.n_static, j] = self.membership @ x
            sums[self.n_static :, j] = cross @ x
        self.group_n = np.concatenate([self.group_n[: self.n_static], np.diff(cross.indptr)])
        with np.errstate(invalid="ignore", divide="ignore"):
            self.values[self.i] = (sums / self.group_n[:, None]).T
        self.n[self.i] = self.group_n
        self.latest = {m: float(self.values[self.i, j, 0]) for j, m in enumerate(MEASURES)}
        from sim.engine.population_table import population_rows  # it reads living_alone here

        week = int(self.weeks[self.i])
        self.service_frames.append(model.services.period_rows(model, week))
        self.service_frames.append(population_rows(model, week))
        self.i += 1

    def table(self, start_date: np.datetime64) -> pd.DataFrame:
        """Tidy long table: week, date, measure, dimension, group, value, n."""
        weeks = self.weeks[: self.i]
        dims = np.concatenate([[d] * len(labels) for d, _, labels in self._all_dims()])
        groups = np.concatenate([labels for _, _, labels in self._all_dims()])
        r, m, g = np.meshgrid(
            np.arange(weeks.size), np.arange(len(MEASURES)), np.arange(self.n_groups), indexing="ij"
        )
        r, m, g = r.ravel(), m.ravel(), g.ravel()
        dates = (start_date + weeks.astype("timedelta64[W]")).astype("datetime64[D]").astype(str)
        survey = pd.DataFrame(
            {
                "week": weeks[r],
                "date": dates[r],
                "measure": np.asarray(MEASURES)[m],
                "dimension": dims[g],
                "group": groups[g],
                "value": self.values[: self.i].ravel(),
                "n": self.n[: self.i][r, g],
            }
        )
        survey = survey[~((survey["dimension"] == "age_group") & (survey["group"] == "0-15"))]
        survey = survey.reset_index(drop=True)
        if not self.service_frames:
            return survey
        services = pd.concat(self.service_frames, ignore_index=True)
        date_of = dict(zip(weeks.tolist(), dates.tolist(), strict=True))
        services["date"] = services["week"].map(date_of)
        return pd.concat([survey, services[survey.columns]], ignore_index=True)

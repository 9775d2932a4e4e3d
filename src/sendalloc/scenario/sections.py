"""The sections of a scenario that set the simulated LA: one frozen dataclass each.

``[population]`` (:class:`PopulationSpec`), ``[geography]``
(:class:`GeographySpec`), ``[preferences]`` (:class:`PreferencesSpec`),
``[allocation]`` (:class:`AllocationSpec`), ``[data]`` (:class:`DataSpec`),
``[status_quo]`` (:class:`StatusQuoSpec`, today's statutory process),
``[costs]`` (:class:`CostsSpec`, what new places cost to build) and the
setting groups (:class:`SettingGroup`: any other table with a ``kind``),
with the limits (``MAX_*``) their keys are checked against. ``[lists]`` is
:class:`~sendalloc.lists.ListRules`; ``[dynamics]`` is in
:mod:`sendalloc.scenario.dynamics`. Every field declares its converter and its
valid values (:func:`~sendalloc.scenario.converters.spec_field`); each class
checks them when built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendalloc._keys import check_ranges
from sendalloc.population import KINDS, NEEDS, bad
from sendalloc.preferences import ORDERS, PRIORITIES, PreferenceModel
from sendalloc.scenario.converters import (
    age_bands,
    boolean,
    encode_need_map,
    int_pairs,
    integer,
    integers,
    need_map,
    need_profiles,
    need_taste_table,
    normalised_weights,
    number,
    numbers,
    spec_field,
    string,
    strings,
    taste_table,
)

__all__ = [
    "MAX_CELLS",
    "MAX_GROUP_COUNT",
    "MAX_PLACES",
    "MAX_PLANS",
    "MUST_ADMIT_KINDS",
    "AllocationSpec",
    "CostsSpec",
    "DataSpec",
    "GeographySpec",
    "PopulationSpec",
    "PreferencesSpec",
    "SettingGroup",
    "StatusQuoSpec",
]

_N = len(NEEDS)


MAX_PLANS = 1_000_000
#: Largest ``count`` of one setting group (England has about 25,000 state schools).
MAX_GROUP_COUNT = 50_000
#: Largest capacity of one generated setting and largest ``places`` of one plan.
MAX_PLACES = 100_000
#: Largest expected children in a round times settings: one draw of that many
#: float32 values (the parents' taste shocks) takes about 1 GB.
MAX_CELLS = 250_000_000


@dataclass(frozen=True, slots=True)
class PopulationSpec:
    """Who needs a placement decision this round (TOML section ``[population]``).

    The round's children are new plans (``plans * new_plan_rate``, Poisson)
    plus phase transfers (``plans * school_age_share * transfer_share``,
    Poisson). Need, age, severity and whether specialist provision is needed
    are drawn per child; see ``docs/modelling.md``. Valid values of every key:
    ``docs/scenario-keys.md``.
    """

    plans: int = spec_field(
        conv=integer, low=1, high=MAX_PLANS, doc="EHC plans the LA maintains."
    )
    school_age_share: float = spec_field(
        conv=number, low=0.0, high=1.0, doc="Share of plans aged 5-15."
    )
    new_plan_rate: float = spec_field(
        conv=number, low=0.0, high=1.0, doc="New plans a year, per plan maintained."
    )
    transfer_share: float = spec_field(
        conv=number,
        low=0.0,
        high=1.0,
        doc="Share of school-age plans making a phase transfer this round.",
    )
    need_mix: tuple[float, ...] = spec_field(
        conv=need_map,
        enc=encode_need_map,
        low=0.0,
        labels=NEEDS,
        doc="Primary-need mix of all plans: a table of need code = weight.",
        rule="not all 0",
    )
    new_plan_age_bands: tuple[tuple[float, ...], ...] = spec_field(
        conv=age_bands,
        low=0.0,
        length=(1, 26),
        doc="Ages of new plans: `[[first age, last age, weight], ...]`.",
        rule="ages whole, 0 <= first <= last <= 25; weights not all 0",
    )
    specialist_share_new: float = spec_field(
        conv=number,
        low=0.0,
        high=1.0,
        doc="Share of new plans needing non-mainstream specialist provision "
        "(units and resourced provision: `unit_share`).",
    )
    specialist_share_transfer: float = spec_field(
        conv=number,
        low=0.0,
        high=1.0,
        doc="Share of phase transfers needing non-mainstream specialist provision "
        "(units and resourced provision: `unit_share`).",
    )
    transfer_ages: tuple[int, ...] = spec_field(
        (11, 16),
        integers,
        low=1,
        high=25,
        length=(1, 25),
        doc="Ages at which children transfer phase.",
    )
    transfer_weights: tuple[float, ...] = spec_field(
        (),
        numbers,
        low=0.0,
        doc="Relative size of each transfer age's cohort (`[]`: equal).",
        rule="none, or one per transfer age, not all 0",
    )
    transfer_days: tuple[int, ...] = spec_field(
        (46, 90),
        integers,
        low=1,
        high=365,
        doc="Day of the year each transfer age is placed.",
        rule="one per transfer age",
    )
    need_mix_new_older: tuple[float, ...] = spec_field(
        (),
        need_map,
        encode_need_map,
        low=0.0,
        labels=NEEDS,
        doc="Need mix of new plans aged `new_older_from_age` and over "
        "(`{}`: as `need_mix`).",
        rule="not all 0 if given",
    )
    new_older_from_age: int = spec_field(
        10, integer, low=0, high=25, doc="Age from which `need_mix_new_older` applies."
    )
    unit_share: float = spec_field(
        0.0,
        number,
        low=0.0,
        high=1.0,
        doc="Share of mainstream placements that are in an SEN unit or resourced "
        "provision (these children need specialist provision too).",
    )
    specialist_log_odds: tuple[float, ...] = spec_field(
        (0.0,) * _N,
        need_map,
        encode_need_map,
        low=-20.0,
        high=20.0,
        labels=NEEDS,
        doc="Relative log-odds of needing specialist provision, by need.",
    )

    def __post_init__(self) -> None:
        check_ranges(self)
        normalised_weights(self.need_mix, _N, "need_mix")
        if self.need_mix_new_older:
            normalised_weights(self.need_mix_new_older, _N, "need_mix_new_older")
        normalised_weights(
            tuple(b[2] for b in self.new_plan_age_bands),
            len(self.new_plan_age_bands),
            "new_plan_age_bands",
        )
        for i, b in enumerate(self.new_plan_age_bands):
            if not 0 <= b[0] <= b[1] <= 25:
                raise bad(f"new_plan_age_bands.{i}", list(b), "ages must lie in 0..25")
        n = len(self.transfer_ages)
        normalised_weights(self.transfer_weights, n, "transfer_weights")
        if len(self.transfer_days) != n:
            raise bad(
                "transfer_days",
                list(self.transfer_days),
                f"expected {n} days of the year in 1..365, one per transfer age",
            )

    def specialist_need(self) -> tuple[float, float]:
        """Shares of new plans and of transfers that need specialist provision.

        A child needs specialist provision when placed outside mainstream
        (``specialist_share_new``, ``specialist_share_transfer``), or in an SEN
        unit or resourced provision of a mainstream school (``unit_share`` of
        the rest): ``s + (1 - s) * unit_share``. Units and resourced provision
        are specialist settings of the model, but the sources count their pupils
        as mainstream (docs/modelling.md, "Who needs specialist provision").

        Examples
        --------
        >>> import sendalloc as sa
        >>> new, transfer = sa.load_scenario("county").population.specialist_need()
        >>> round(new, 3), round(transfer, 3)
        (0.249, 0.538)
        """
        u = self.unit_share
        s_new, s_tr = self.specialist_share_new, self.specialist_share_transfer
        return s_new + (1.0 - s_new) * u, s_tr + (1.0 - s_tr) * u

    def round_size(self, plans: int | None = None) -> float:
        """Expected children in a round: new plans plus phase transfers."""
        p = self.plans if plans is None else plans
        return p * (self.new_plan_rate + self.school_age_share * self.transfer_share)


@dataclass(frozen=True, slots=True)
class GeographySpec:
    """The LA's area (TOML section ``[geography]``): a square of towns.

    Children live around ``towns`` population centres (normal spread
    ``town_sd_km``) or, with probability ``rural_share``, anywhere in the
    square. Out-of-area settings lie in a band ``out_of_area_ring_km`` wide
    around the square. ``layout_seed`` fixes the towns and the generated
    settings for every sample (None: drawn afresh each sample).

    Cross-border competition: other authorities' children take a share of each
    setting's free places before this LA's round, ``in_area_taken`` of an
    in-area setting's and ``out_of_area_taken`` of an out-of-area setting's
    (:meth:`taken_share`; docs/modelling.md, "Cross-border competition").
    """

    centre_km: tuple[float, ...] = spec_field(
        conv=numbers,
        low=0.0,
        high=1300.0,
        length=(2, 2),
        doc="Centre of the LA, `[easting, northing]`, British National Grid km.",
    )
    half_width_km: float = spec_field(
        conv=number, low=0.0, high=500.0, low_open=True, doc="Half the square's side."
    )
    towns: int = spec_field(conv=integer, low=1, high=1000, doc="Population centres.")
    town_sd_km: float = spec_field(
        conv=number,
        low=0.0,
        high=500.0,
        doc="Spread of homes around a town (normal sd).",
    )
    rural_share: float = spec_field(
        conv=number,
        low=0.0,
        high=1.0,
        doc="Share of children living anywhere in the square.",
    )
    out_of_area_ring_km: float = spec_field(
        conv=number,
        low=0.0,
        high=500.0,
        doc="Width of the band of out-of-area settings.",
    )
    in_area_taken: float = spec_field(
        0.0,
        number,
        low=0.0,
        high=1.0,
        doc="Share of an in-area setting's free places taken by children other "
        "LAs place there.",
    )
    out_of_area_taken: float = spec_field(
        0.0,
        number,
        low=0.0,
        high=1.0,
        doc="Share of an out-of-area setting's free places taken by other LAs' "
        "children (its own LA's and others').",
    )
    layout_seed: int | None = spec_field(
        None,
        integer,
        low=0,
        high=2**63 - 1,
        doc="Seed fixing towns and settings for every sample (absent: drawn "
        "afresh each sample).",
    )

    def __post_init__(self) -> None:
        check_ranges(self)

    def taken_share(self, in_area: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Share of each setting's free places other authorities' children take.

        Parameters
        ----------
        in_area : ndarray of bool, shape (M,)
            The settings inside the LA.

        Returns
        -------
        ndarray of float64, shape (M,)
            ``in_area_taken`` in the area, ``out_of_area_taken`` outside it.

        Examples
        --------
        >>> import numpy as np
        >>> import sendalloc as sa
        >>> geo = sa.load_scenario("county").geography
        >>> geo.taken_share(np.array([True, False])).round(3).tolist()
        [0.091, 0.909]
        """
        return np.where(
            np.asarray(in_area, dtype=bool),
            float(self.in_area_taken),
            float(self.out_of_area_taken),
        )


@dataclass(frozen=True, slots=True)
class SettingGroup:
    """A group of generated settings of one kind (a top-level TOML table).

    ``count`` settings; capacity uniform on ``capacity = [low, high]``, scaled
    by ``1 + capacity_growth``; on roll ``capacity * Normal(fill_mean,
    fill_sd)`` (before growth); age range and designation profiles shared out
    in proportion to their weights (largest remainder, then shuffled); cost
    ``cost`` times a mean-one lognormal of log-sd ``cost_sd``; a share
    ``in_area_share`` inside the LA.
    """

    kind: str = spec_field(conv=string, choices=KINDS, doc="Kind of setting.")
    count: int = spec_field(
        conv=integer,
        low=0,
        high=MAX_GROUP_COUNT,
        doc="Settings in the group.",
        rule="at least one group above 0 (without a [data] settings file)",
    )
    capacity: tuple[int, ...] = spec_field(
        conv=integers,
        low=0,
        high=MAX_PLACES,
        length=(2, 2),
        doc="Places per setting, `[low, high]` (uniform).",
        rule="low <= high",
    )
    fill_mean: float = spec_field(
        conv=number, low=0.0, high=2.0, doc="Mean pupils on roll per place."
    )
    ages: tuple[tuple[int, ...], ...] = spec_field(
        conv=int_pairs,
        low=0,
        high=25,
        length=(1, None),
        doc="Age ranges, `[[min_age, max_age], ...]`, shared out by `age_weights`.",
        rule="min_age <= max_age",
    )
    cost: float = spec_field(
        conv=number, low=0.0, high=10_000_000.0, doc="Annual cost per place, GBP."
    )
    fill_sd: float = spec_field(
        0.0, number, low=0.0, high=1.0, doc="Spread of the fill."
    )
    age_weights: tuple[float, ...] = spec_field(
        (),
        numbers,
        low=0.0,
        doc="Weight of each age range (`[]`: equal).",
        rule="none, or one per age range, not all 0",
    )
    needs: tuple[tuple[str, ...], ...] = spec_field(
        ((),),
        need_profiles,
        choices=NEEDS,
        length=(1, None),
        doc="Designation profiles: lists of need codes (`[]`: any need).",
    )
    needs_weights: tuple[float, ...] = spec_field(
        (),
        numbers,
        low=0.0,
        doc="Weight of each profile (`[]`: equal).",
        rule="none, or one per profile, not all 0",
    )
    cost_sd: float = spec_field(
        0.0, number, low=0.0, high=5.0, doc="Log-sd of costs between settings."
    )
    in_area_share: float = spec_field(
        1.0, number, low=0.0, high=1.0, doc="Share of the group inside the LA."
    )
    near_towns: bool = spec_field(
        True, boolean, doc="Place settings near towns (else anywhere)."
    )
    quality_sd: float = spec_field(
        0.0, number, low=0.0, high=10.0, doc="Spread of the parents' quality index."
    )
    capacity_growth: float = spec_field(
        0.0,
        number,
        low=-1.0,
        high=10.0,
        low_open=True,
        doc="Growth of capacity over the roll's base (0.1: 10% more places).",
    )
    label: str = spec_field(
        "", string, doc="Name of the settings (default: the table key)."
    )

    def __post_init__(self) -> None:
        check_ranges(self)
        c = self.capacity
        if c[0] > c[1]:
            raise bad("capacity", list(c), "expected [low, high] with 0 <= low <= high")
        for i, (lo, hi) in enumerate(self.ages):
            if lo > hi:
                raise bad(
                    f"ages.{i}", [lo, hi], "expected 0 <= min_age <= max_age <= 25"
                )
        normalised_weights(self.age_weights, len(self.ages), "age_weights")
        normalised_weights(self.needs_weights, len(self.needs), "needs_weights")


@dataclass(frozen=True, slots=True)
class PreferencesSpec:
    """Parents' random-utility model (TOML ``[preferences]``); see PreferenceModel."""

    distance_weight: float = spec_field(
        0.1, number, low=0.0, high=100.0, doc="Utility lost per km of travel."
    )
    quality_weight: float = spec_field(
        0.5, number, low=0.0, high=100.0, doc="Utility per unit of quality index."
    )
    noise_scale: float = spec_field(
        1.0,
        number,
        low=0.0,
        high=100.0,
        low_open=True,
        doc="Scale of the parents' idiosyncratic tastes (Gumbel).",
    )
    truncation_probability: float = spec_field(
        0.0,
        number,
        low=0.0,
        high=1.0,
        doc="Chance a parent ranks only part of the list.",
    )
    kind_taste: tuple[tuple[str, float], ...] = spec_field(
        (),
        taste_table,
        dict,
        low=-100.0,
        high=100.0,
        doc="Taste for each kind over mainstream: a table of kind = utility.",
    )
    need_taste: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = spec_field(
        (),
        need_taste_table,
        lambda t: {c: dict(r) for c, r in t},
        low=-100.0,
        high=100.0,
        doc="Adjustments by need: a table of need code = {kind = utility}.",
    )

    def __post_init__(self) -> None:
        check_ranges(self)
        self.model()

    def model(self) -> PreferenceModel:
        """The :class:`~sendalloc.preferences.PreferenceModel` this spec describes."""
        taste = PreferenceModel.taste_from_mapping(
            dict(self.kind_taste), {c: dict(r) for c, r in self.need_taste}
        )
        return PreferenceModel(
            distance_weight=self.distance_weight,
            kind_taste=taste,
            quality_weight=self.quality_weight,
            noise_scale=self.noise_scale,
            truncation_probability=self.truncation_probability,
        )


@dataclass(frozen=True, slots=True)
class AllocationSpec:
    """Processing order, priorities, fallback, transport (TOML ``[allocation]``)."""

    order: str = spec_field(
        "plan_day", string, choices=ORDERS, doc="Order the LA processes children in."
    )
    priority: str = spec_field(
        "order", string, choices=PRIORITIES, doc="How settings rank applicants."
    )
    fallback: bool = spec_field(
        True, boolean, doc="The LA places a child with no ranked place elsewhere."
    )
    transport_cost_per_km: float = spec_field(
        0.0,
        number,
        low=0.0,
        high=1_000_000.0,
        doc="Annual transport cost per km of one-way distance of a child the LA "
        "transports, GBP.",
    )
    transport_within_walking: float = spec_field(
        0.5,
        number,
        low=0.0,
        high=1.0,
        doc="Share transported of the children at a specialist setting within the "
        "statutory walking distance (beyond it: all; at general settings: none).",
    )
    # With priority = "classes": the distance bands and how ties are broken.
    distance_bands_km: tuple[float, ...] = spec_field(
        (2.0, 5.0, 10.0),
        numbers,
        low=0.0,
        high=1000.0,
        low_open=True,
        length=(1, 20),
        doc="Distance bands of the `classes` priority.",
        rule="increasing",
    )
    tie_break: str = spec_field(
        "single",
        string,
        choices=("single", "multiple"),
        doc="Lottery for ties in the `classes` priority: one for all settings "
        "or one per setting.",
    )

    def __post_init__(self) -> None:
        bands = self.distance_bands_km
        if not bands or list(bands) != sorted(set(bands)):
            raise bad(
                "distance_bands_km", list(bands), "expected increasing distances > 0"
            )
        if self.tie_break not in ("single", "multiple"):
            raise bad("tie_break", self.tie_break, "expected 'single' or 'multiple'")
        check_ranges(self)


@dataclass(frozen=True, slots=True)
class DataSpec:
    """Real data instead of generation (TOML ``[data]``); paths relative to the file.

    ``settings``: a GIAS all-establishments CSV (:func:`sendalloc.io.read_gias`)
    filtered to ``la_codes`` (in area) and ``neighbour_la_codes`` (out of
    area). ``children``: a children CSV (:func:`sendalloc.io.read_children`).
    """

    settings: str = spec_field(
        "", string, doc="GIAS all-establishments CSV, relative to the TOML file."
    )
    children: str = spec_field(
        "", string, doc="Children CSV, relative to the TOML file."
    )
    la_codes: tuple[int, ...] = spec_field(
        (), integers, low=1, high=999, doc="`LA (code)` values of the home LA."
    )
    neighbour_la_codes: tuple[int, ...] = spec_field(
        (), integers, low=1, high=999, doc="LA codes whose settings are out of area."
    )

    def __post_init__(self) -> None:
        check_ranges(self)


#: Kinds that must admit a child whose plan names them, even when full
#: (Children and Families Act 2014 s43): maintained schools and academies
#: (mainstream, units and resourced provision, special, AP), FE and sixth-form
#: colleges, non-maintained special schools and section 41 approved independent
#: special schools (a parent's request can name an independent school only if
#: it is approved under s41).
MUST_ADMIT_KINDS: tuple[str, ...] = (
    "mainstream",
    "resourced_provision",
    "special",
    "alternative_provision",
    "post16",
    "non_maintained_special",
    "independent_special",
)


@dataclass(frozen=True, slots=True)
class StatusQuoSpec:
    """Today's statutory process (TOML section ``[status_quo]``).

    The parameters of the ``status_quo`` policy (:mod:`sendalloc.status_quo`;
    docs/status-quo.md): the parent requests one setting (Children and
    Families Act 2014 s38); the LA names it unless it refuses on the efficient
    education of others or the efficient use of resources (s39(4)(b)), with a
    probability whose log-odds are ``logit(refusal_at_full) +
    refusal_fullness_slope * (fullness - 1) + refusal_cost_slope * ln(cost
    ratio)``; a named setting of a kind in ``must_admit_kinds`` admits beyond
    its capacity, up to ``over_capacity_tolerance`` of it (up to
    ``tribunal_tolerance`` when the tribunal names it); after a refusal the
    parent may appeal, and the tribunal decides in the shares ``tribunal_*``
    (normalised by their sum) ``appeal_days`` after the plan.
    Every default is the county preset's value.
    """

    refusal_at_full: float = spec_field(
        0.3,
        number,
        low=0.0,
        high=1.0,
        doc="Chance the LA refuses a request that fills the setting exactly to "
        "capacity and costs the same as its own choice.",
    )
    refusal_fullness_slope: float = spec_field(
        20.0,
        number,
        low=0.0,
        high=200.0,
        doc="Log-odds of refusal per unit of fullness (pupils on roll, the child "
        "included, per place).",
    )
    refusal_cost_slope: float = spec_field(
        3.0,
        number,
        low=0.0,
        high=50.0,
        doc="Log-odds of refusal per unit of the log cost ratio (requested setting "
        "over the LA's choice, transport included).",
    )
    over_capacity_tolerance: float = spec_field(
        0.1,
        number,
        low=0.0,
        high=100.0,
        doc="Most pupils a must-admit setting takes beyond its capacity, as a "
        "share of its capacity.",
    )
    tribunal_tolerance: float = spec_field(
        0.25,
        number,
        low=0.0,
        high=100.0,
        doc="Most pupils a must-admit setting takes beyond its capacity when the "
        "tribunal names it, as a share of its capacity (at least "
        "`over_capacity_tolerance`).",
    )
    must_admit_kinds: tuple[str, ...] = spec_field(
        MUST_ADMIT_KINDS,
        strings,
        choices=KINDS,
        doc="Kinds that must admit a child named in a plan even when full "
        "(Children and Families Act 2014 s43: maintained schools, academies, "
        "colleges, non-maintained and s41 approved independent special schools).",
    )
    specialist_post16_must_admit: bool = spec_field(
        True,
        boolean,
        doc="Whether a `post16` setting with a need designation (a specialist "
        "post-16 institution: s41 approved when a parent can request it) must "
        "admit too (s43).",
    )
    appeal_probability: float = spec_field(
        0.2,
        number,
        low=0.0,
        high=1.0,
        doc="Chance a refused parent appeals when the LA's choice is a kind they "
        "like as much or more.",
    )
    appeal_probability_worse_kind: float = spec_field(
        0.5,
        number,
        low=0.0,
        high=1.0,
        doc="Chance a refused parent appeals when the LA's choice is a kind they "
        "like less, or no place.",
    )
    tribunal_parent_preference: float = spec_field(
        0.31,
        number,
        low=0.0,
        high=1.0,
        doc="Share of placement appeals decided for the parent's preference.",
        rule="the four `tribunal_*` shares not all 0 (normalised by their sum)",
    )
    tribunal_la_concedes: float = spec_field(
        0.24,
        number,
        low=0.0,
        high=1.0,
        doc="Share of placement appeals the LA concedes at the hearing.",
    )
    tribunal_la_preference: float = spec_field(
        0.13,
        number,
        low=0.0,
        high=1.0,
        doc="Share of placement appeals decided for the LA's preference.",
    )
    tribunal_other: float = spec_field(
        0.32,
        number,
        low=0.0,
        high=1.0,
        doc="Share of placement appeals withdrawn or ended otherwise (the LA's "
        "choice stands).",
    )
    appeal_days: float = spec_field(
        274.0,
        number,
        low=0.0,
        high=1000.0,
        doc="Days from the final plan to the tribunal's decision.",
    )

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.tribunal_shares().sum() <= 0:
            raise bad(
                "tribunal_other",
                self.tribunal_other,
                "the four tribunal_* shares are all 0; give at least one a share > 0",
            )

    def tribunal_shares(self) -> NDArray[np.float64]:
        """The four tribunal shares as given, shape (4,).

        Parent's preference, the LA concedes, the LA's preference, other; the
        process normalises them by their sum.
        """
        return np.array(
            [
                self.tribunal_parent_preference,
                self.tribunal_la_concedes,
                self.tribunal_la_preference,
                self.tribunal_other,
            ]
        )


@dataclass(frozen=True, slots=True)
class CostsSpec:
    """What new places cost (TOML section ``[costs]``), for the places needed.

    The annual cost of a place is each setting group's ``cost`` (place funding
    and top-up); this section holds what is not a cost of a year:
    ``capital_per_place``, the one-off cost of building one new place, by kind
    of setting (GBP). A kind left out is not costed: the capital cost of places
    needed there is reported as not estimated
    (:func:`sendalloc.capacity.places_needed`).
    """

    capital_per_place: tuple[tuple[str, float], ...] = spec_field(
        (),
        taste_table,
        dict,
        low=0.0,
        high=10_000_000.0,
        doc="Capital cost of one new place, by kind: a table of kind = GBP "
        "(a kind left out is not costed).",
    )

    def __post_init__(self) -> None:
        check_ranges(self)

    def capital(self) -> NDArray[np.float64]:
        """Capital cost per new place by kind (:data:`KINDS` order), NaN if not given.

        Examples
        --------
        >>> CostsSpec(capital_per_place=(("special", 67043.0),)).capital()[2]
        np.float64(67043.0)
        """
        out = np.full(len(KINDS), np.nan)
        for kind, value in self.capital_per_place:
            out[KINDS.index(kind)] = value
        return out

"""Parents' rankings, the LA's processing order and settings' priorities.

Parents rank by random utility. Parent ``i``'s utility for setting ``j`` is

    u[i, j] = -distance_weight * d[i, j] + taste[need[i], kind[j]]
              + quality_weight * quality[j] + noise_scale * g[i, j]

with ``g`` standard Gumbel, so sorting the settings on a list by ``u`` is a
Plackett-Luce draw (McFadden 1974; Luce 1959; Plackett 1975). The same
utilities over every setting that could meet the need (:func:`lists.candidates`)
give the parent's favourite overall, which may be off the list: a tribunal
risk. Everything is drawn for all children at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sendalloc._rng import as_generator
from sendalloc.lists import Pairs
from sendalloc.population import KINDS, NEEDS, Children, Settings, bad

__all__ = [
    "ORDERS",
    "PRIORITIES",
    "PreferenceModel",
    "draw_preferences",
    "processing_order",
    "setting_priority",
    "systematic_utility",
]

ORDERS: tuple[str, ...] = ("plan_day", "lottery", "severity")
"""LA processing orders: date the plan is finalised (ties by lottery), a
uniform lottery, or most severe first (ties by lottery)."""

PRIORITIES: tuple[str, ...] = (
    "order",
    "distance",
    "lottery",
    "lottery_per_setting",
    "severity",
    "classes",
)
"""Setting priorities: the LA's processing order itself; nearest first; one
lottery shared by all settings; a separate lottery per setting; most severe
first (ties broken by a lottery); or priority classes (:func:`priority_classes`:
looked-after children, then designated need, then distance bands), whose ties
the scenario breaks with :func:`sendalloc.break_ties` and records on the
problem."""


def _taste_table(value: object) -> tuple[tuple[float, ...], ...]:
    a = np.asarray(value, dtype=np.float64)
    if a.shape != (len(NEEDS), len(KINDS)) or not np.isfinite(a).all():
        raise bad("kind_taste", value, f"expected finite ({len(NEEDS)}, {len(KINDS)})")
    return tuple(tuple(float(v) for v in row) for row in a)


@dataclass(frozen=True, slots=True)
class PreferenceModel:
    """How parents value settings (a random-utility model).

    Parameters
    ----------
    distance_weight : float, default 0.1
        Utility lost per km of distance, >= 0.
    kind_taste : tuple of tuple of float, shape (13, 7)
        ``kind_taste[n][k]``: taste of a parent of a child with need ``NEEDS[n]``
        for a setting of kind ``KINDS[k]``. Default all 0. Build it from
        readable mappings with :meth:`taste_from_mapping`.
    quality_weight : float, default 0.5
        Weight on :attr:`Settings.quality`.
    noise_scale : float, default 1.0
        Scale of the Gumbel noise, > 0.
    truncation_probability : float, default 0.0
        Chance a parent ranks only the first ``t`` settings of their list, ``t``
        uniform on 1..list length (the rest they leave unranked).

    Examples
    --------
    >>> from sendalloc.preferences import PreferenceModel
    >>> t = PreferenceModel.taste_from_mapping(
    ...     {"special": 1.0}, {"SEMH": {"special": -0.5}}
    ... )
    >>> m = PreferenceModel(kind_taste=t)
    >>> m.kind_taste[2][2], m.kind_taste[0][2]
    (0.5, 1.0)
    """

    distance_weight: float = 0.1
    kind_taste: tuple[tuple[float, ...], ...] = field(
        default=tuple((0.0,) * len(KINDS) for _ in NEEDS)
    )
    quality_weight: float = 0.5
    noise_scale: float = 1.0
    truncation_probability: float = 0.0

    def __post_init__(self) -> None:
        for key in ("distance_weight", "quality_weight", "noise_scale"):
            v = getattr(self, key)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not np.isfinite(v)
            ):
                raise bad(key, v, "expected a finite number")
        if self.distance_weight < 0:
            raise bad("distance_weight", self.distance_weight, "expected >= 0")
        if not self.noise_scale > 0:
            raise bad("noise_scale", self.noise_scale, "expected > 0")
        p = self.truncation_probability
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
            raise bad("truncation_probability", p, "expected a probability in [0, 1]")
        object.__setattr__(self, "kind_taste", _taste_table(self.kind_taste))

    @staticmethod
    def taste_from_mapping(
        by_kind: Mapping[str, float],
        by_need: Mapping[str, Mapping[str, float]] | None = None,
    ) -> tuple[tuple[float, ...], ...]:
        """Build a (13, 7) taste table: a taste per kind, plus adjustments by need.

        Parameters
        ----------
        by_kind : mapping of kind name to float
            Taste for each kind (missing kinds 0), for every need.
        by_need : mapping of need code to (mapping of kind name to float), optional
            Added to ``by_kind`` for children with that need.

        Returns
        -------
        tuple of tuple of float
        """
        t = np.zeros((len(NEEDS), len(KINDS)))
        for k, v in by_kind.items():
            if k not in KINDS:
                raise bad(
                    f"kind_taste.{k}", v, f"unknown kind; expected one of {KINDS}"
                )
            t[:, KINDS.index(k)] += float(v)
        for code, row in (by_need or {}).items():
            if code not in NEEDS:
                raise bad(f"need_taste.{code}", row, f"unknown need; expected {NEEDS}")
            for k, v in row.items():
                if k not in KINDS:
                    raise bad(f"need_taste.{code}.{k}", v, f"unknown kind; {KINDS}")
                t[NEEDS.index(code), KINDS.index(k)] += float(v)
        return tuple(tuple(float(x) for x in row) for row in t)


def systematic_utility(
    children: Children,
    settings: Settings,
    distance: NDArray[np.float64],
    model: PreferenceModel,
) -> NDArray[np.float64]:
    """The deterministic part of every parent's utility for every setting.

    Returns
    -------
    ndarray of float64, shape (N, M)
    """
    per_setting = np.asarray(model.kind_taste)[:, settings.kind]
    per_setting += model.quality_weight * settings.quality[None, :]
    v = per_setting[children.need]
    v -= model.distance_weight * distance
    return v


def draw_preferences(
    children: Children,
    settings: Settings,
    lists: NDArray[np.int32],
    candidates: NDArray[np.bool_],
    distance: NDArray[np.float64],
    model: PreferenceModel,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Draw each parent's ranking of their list and their favourite overall.

    Parameters
    ----------
    children, settings
    lists : ndarray of int32, shape (N, K)
        Tailored lists, -1 padded.
    candidates : ndarray of bool, shape (N, M)
        Settings each parent could want (:func:`sendalloc.lists.candidates`);
        listed settings are always candidates.
    distance : ndarray of float64, shape (N, M)
    model : PreferenceModel
    rng : numpy.random.Generator

    Returns
    -------
    preferences : ndarray of int32, shape (N, K)
        The parent's ranking of (part of) their list, best first, -1 padded.
    wish : ndarray of int32, shape (N,)
        The parent's favourite among all candidates, -1 if there is none.

    Notes
    -----
    One Gumbel draw per (child, setting) pair gives full random utilities; the
    list ranking is those utilities sorted on the list (a Plackett-Luce draw),
    the wish their argmax over the candidates, so the two agree: if the wish is
    on the list it is ranked first. Cost O(N M).

    Examples
    --------
    >>> import numpy as np
    >>> from sendalloc import Children, Settings
    >>> from sendalloc.lists import distance_matrix
    >>> from sendalloc.preferences import PreferenceModel, draw_preferences
    >>> s = Settings.from_columns(id=list("abc"), kind=["special"] * 3,
    ...     min_age=[4] * 3, max_age=[18] * 3, capacity=[9] * 3,
    ...     x_km=[1.0, 2.0, 50.0], y_km=[0.0] * 3)
    >>> c = Children.from_columns(id=["x"], need=["ASD"], age=[8], x_km=[0.0],
    ...     y_km=[0.0], plan_day=[1], severity=[0.9], specialist=[True])
    >>> d = distance_matrix(c, s)
    >>> prefs, wish = draw_preferences(c, s, np.array([[0, 1]], dtype=np.int32),
    ...     np.ones((1, 3), bool), d, PreferenceModel(distance_weight=5.0),
    ...     np.random.default_rng(0))
    >>> prefs, wish
    (array([[0, 1]], dtype=int32), array([0], dtype=int32))
    """
    rng = as_generator(rng)
    n, k = lists.shape
    listed = lists >= 0
    cols = np.where(listed, lists, 0)
    cand = candidates.copy()
    cand[np.nonzero(listed)[0], lists[listed]] = True
    u = systematic_utility(children, settings, distance, model)
    # Gumbel noise as -log(Exp(1)); float32 halves the cost of the draw.
    e = rng.standard_exponential(size=u.shape, dtype=np.float32)
    np.maximum(e, np.float32(1e-30), out=e)
    np.log(e, out=e)
    e *= np.float32(-model.noise_scale)
    u += e
    u[~cand] = -np.inf
    has = cand.any(axis=1)
    wish = np.where(has, np.argmax(u, axis=1), -1).astype(np.int32)
    ul = np.where(listed, np.take_along_axis(u, cols, axis=1), -np.inf)
    srt = np.argsort(-ul, axis=1, kind="stable")
    prefs = np.take_along_axis(np.where(listed, lists, -1), srt, axis=1)
    if model.truncation_probability > 0 and n and k:
        length = listed.sum(axis=1)
        trunc = rng.random(n) < model.truncation_probability
        keep = np.floor(rng.random(n) * length).astype(np.int64) + 1
        keep = np.where(trunc, keep, length)
        prefs = np.where(np.arange(k)[None, :] < keep[:, None], prefs, -1)
    return prefs.astype(np.int32), wish


def processing_order(
    children: Children,
    rule: Literal["plan_day", "lottery", "severity"] | str,
    rng: np.random.Generator,
) -> NDArray[np.int32]:
    """The LA's processing order: a permutation of the children, first first.

    Parameters
    ----------
    children : Children
    rule : {"plan_day", "lottery", "severity"}
        Earliest finalised plan first; uniform lottery; most severe first.
        Ties are broken by a uniform lottery.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int32, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from sendalloc import Children
    >>> from sendalloc.preferences import processing_order
    >>> c = Children.from_columns(id=list("abc"), need=["ASD"] * 3, age=[8] * 3,
    ...     x_km=[0.0] * 3, y_km=[0.0] * 3, plan_day=[90, 46, 200],
    ...     severity=[0.2, 0.5, 0.9])
    >>> rng = np.random.default_rng(0)
    >>> processing_order(c, "plan_day", rng), processing_order(c, "severity", rng)
    (array([1, 0, 2], dtype=int32), array([2, 1, 0], dtype=int32))
    """
    rng = as_generator(rng)
    n = children.n
    tie = rng.random(n)
    if rule == "plan_day":
        order = np.lexsort((tie, children.plan_day))
    elif rule == "lottery":
        order = np.argsort(tie)
    elif rule == "severity":
        order = np.lexsort((tie, -children.severity))
    else:
        raise bad("order", rule, f"expected one of {', '.join(ORDERS)}")
    return order.astype(np.int32)


def setting_priority(
    preferences: NDArray[np.int32],
    children: Children,
    distance_on_prefs: NDArray[np.float64],
    rule: str,
    rng: np.random.Generator,
) -> NDArray[np.int64] | None:
    """Settings' priorities over the children who rank them.

    Parameters
    ----------
    preferences : ndarray of int32, shape (N, L)
    children : Children
    distance_on_prefs : ndarray of float64, shape (N, L)
        Distance from child ``i`` to ``preferences[i, k]``.
    rule : {"order", "distance", "lottery", "lottery_per_setting", "severity"}
        (``"classes"`` is built by :func:`priority_classes` instead).
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int64, shape (N, L), or None
        Aligned with ``preferences``, lower wins, strict within every setting
        (a global rank of the entries); None for ``"order"``, meaning every
        setting ranks children by the LA's processing order (the default of
        :meth:`Problem.from_arrays`).

    Examples
    --------
    >>> import numpy as np
    >>> from sendalloc import Children
    >>> from sendalloc.preferences import setting_priority
    >>> c = Children.from_columns(id=list("ab"), need=["ASD"] * 2, age=[8] * 2,
    ...     x_km=[0.0] * 2, y_km=[0.0] * 2, plan_day=[1, 1], severity=[0.2, 0.9])
    >>> prefs = np.array([[0, 1], [1, -1]], dtype=np.int32)
    >>> d = np.array([[3.0, 1.0], [2.0, np.nan]])
    >>> setting_priority(prefs, c, d, "distance", np.random.default_rng(0))
    array([[ 2,  0],
           [ 1, -1]])
    """
    rng = as_generator(rng)
    if rule == "order":
        return None
    if rule == "classes":
        raise bad("priority", rule, "classes need the settings: use priority_classes")
    n, width = (int(x) for x in preferences.shape)
    valid = preferences >= 0
    tie = rng.random(n)
    if rule == "distance":
        dv = distance_on_prefs[valid]
        # With no two distances equal (nor nan) the order is unique and a plain
        # sort finds it; otherwise break ties by the lottery, then by entry.
        key = np.argsort(dv)
        sv = dv[key]
        if sv.size and (np.isnan(sv[-1]) or bool((sv[1:] == sv[:-1]).any())):
            key = np.lexsort((np.broadcast_to(tie[:, None], (n, width))[valid], dv))
    elif rule == "lottery":
        key = np.argsort(tie[np.nonzero(valid)[0]])
    elif rule == "lottery_per_setting":
        key = np.argsort(rng.random(int(valid.sum())))
    elif rule == "severity":
        rows = np.nonzero(valid)[0]
        key = np.lexsort((tie[rows], -children.severity[rows]))
    else:
        raise bad("priority", rule, f"expected one of {', '.join(PRIORITIES)}")
    rank = np.empty(key.shape[0], dtype=np.int64)
    rank[key] = np.arange(key.shape[0])
    out = np.full((n, width), -1, dtype=np.int64)
    out[valid] = rank
    return out


def priority_classes(
    preferences: NDArray[np.int32],
    children: Children,
    settings: Settings,
    distance_on_prefs: NDArray[np.float64],
    *,
    bands_km: tuple[float, ...] = (2.0, 5.0, 10.0),
) -> NDArray[np.int64]:
    """Settings' priority classes over the children who rank them (weak priorities).

    Real settings rank applicants in classes, not strictly: looked-after
    children first, then children whose need the setting is designated for,
    then by distance band; ties within a class are broken by a lottery
    (:func:`sendalloc.break_ties`).

    Parameters
    ----------
    preferences : ndarray of int32, shape (N, L)
    children : Children
        Uses ``need`` and ``looked_after``.
    settings : Settings
    distance_on_prefs : ndarray of float64, shape (N, L)
        Distance from child ``i`` to ``preferences[i, k]``.
    bands_km : tuple of float, default (2, 5, 10)
        Upper edges of the distance bands, increasing: band 0 is up to
        ``bands_km[0]``, and the last band is beyond ``bands_km[-1]``.

    Returns
    -------
    ndarray of int64, shape (N, L)
        Class of child ``i`` at ``preferences[i, k]``, lower wins, ties allowed;
        -1 at padding. ``(not looked_after) * 2B + (not designated) * B +
        band`` with ``B = len(bands_km) + 1`` when some child is looked after,
        else ``(not designated) * B + band``. A setting with no designation
        takes every need, so it counts as designated for all.

    Notes
    -----
    Looked-after children usually come first in admission criteria, so a
    looked-after child is ahead of every other child at every setting,
    designated or not: the looked-after classes are ``0 .. 2B - 1``, ordered
    within by designation then band, and every other child's class is ``2B``
    or more. A table with no looked-after children gets exactly the classes
    ``(not designated) * B + band``, with no ``2B`` offset (it would shift
    every class alike and change no order), so its classes, the recorded
    lottery and every result are as before the looked-after column existed.
    Sampled populations have no looked-after children (no sourced rate), so
    only a children table read from data, or built with ``looked_after``,
    fills the first classes.

    Examples
    --------
    >>> import numpy as np
    >>> from sendalloc import Children, Settings
    >>> from sendalloc.preferences import priority_classes
    >>> s = Settings.from_columns(id=["asd", "any"], kind=["special", "special"],
    ...     needs=[["ASD"], []], min_age=[4, 4], max_age=[18, 18],
    ...     capacity=[10, 10], x_km=[0.0, 0.0], y_km=[0.0, 0.0])
    >>> c = Children.from_columns(id=list("ab"), need=["ASD", "SEMH"], age=[8, 8],
    ...     x_km=[0.0, 0.0], y_km=[0.0, 0.0], plan_day=[1, 1], severity=[0.5, 0.5])
    >>> prefs = np.array([[0, 1], [0, 1]], dtype=np.int32)
    >>> d = np.array([[1.0, 7.0], [1.0, 12.0]])
    >>> priority_classes(prefs, c, s, d)
    array([[0, 2],
           [4, 3]])

    With ``b`` looked after (B = 4), ``b`` is ahead of ``a`` at "asd" even
    though ``b``'s need is not designated there: ``b`` gets 0 + B + 0 = 4,
    ``a`` 2B + 0 + 0 = 8.

    >>> c2 = Children.from_columns(id=list("ab"), need=["ASD", "SEMH"],
    ...     age=[8, 8], x_km=[0.0, 0.0], y_km=[0.0, 0.0], plan_day=[1, 1],
    ...     severity=[0.5, 0.5], looked_after=[False, True])
    >>> priority_classes(prefs, c2, s, d)
    array([[ 8, 10],
           [ 4,  3]])
    """
    edges = np.asarray(bands_km, dtype=np.float64)
    valid = preferences >= 0
    safe = np.where(valid, preferences, 0)
    needs = settings.needs[safe]  # (N, L, 13)
    takes_need = np.take_along_axis(
        needs, children.need.astype(np.intp)[:, None, None], axis=2
    )[..., 0]
    designated = takes_need | ~needs.any(axis=2)
    band = np.searchsorted(edges, np.where(valid, distance_on_prefs, 0.0), side="left")
    width = edges.shape[0] + 1
    klass = (~designated).astype(np.int64) * width + band
    looked_after = children.looked_after
    if looked_after.any():
        # Looked-after children first: everyone else moves down by 2B. Only
        # when there is one, so a table without keeps its classes exactly.
        klass += (~looked_after).astype(np.int64)[:, None] * (2 * width)
    return np.where(valid, klass, -1)


def draw_on_pairs(
    children: Children,
    settings: Settings,
    lists: NDArray[np.int32],
    listed_at: NDArray[np.intp],
    pairs: Pairs,
    model: PreferenceModel,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.intp]]:
    """:func:`draw_preferences` on candidate pairs (:func:`lists.candidate_pairs`).

    ``lists`` and ``listed_at`` come from :func:`lists.select_pairs`, and the
    candidates are the pairs (every listed setting is one). The full (N, M)
    Gumbel draw is made, so the random stream is that of
    :func:`draw_preferences`, but utilities are formed only at the pairs, with
    the same float operations; the wish is the first maximum of each child's
    pairs (settings ascending), as ``argmax`` gives it. Also returns the
    permutation ``srt`` with ``preferences = take_along_axis(lists, srt)``
    (before truncation).

    Examples
    --------
    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from sendalloc.lists import (candidate_pairs, select_pairs, candidates,
    ...     distance_matrix, tailored_lists)
    >>> from sendalloc.preferences import draw_on_pairs, draw_preferences
    >>> sc = sa.load_scenario("london_borough")
    >>> st, ch, r = sc.settings(), sc.sample(7).children, sc.lists
    >>> model = sc.preferences.model()
    >>> pairs = candidate_pairs(ch, st, r)
    >>> lists, at = select_pairs(pairs, st, r.order, r.max_length)
    >>> p1, w1, _ = draw_on_pairs(ch, st, lists, at, pairs, model,
    ...     np.random.default_rng(1))
    >>> p2, w2 = draw_preferences(ch, st, tailored_lists(ch, st, r),
    ...     candidates(ch, st, r), distance_matrix(ch, st), model,
    ...     np.random.default_rng(1))
    >>> bool((p1 == p2).all() and (w1 == w2).all())
    True
    """
    n, m = children.n, settings.n
    k = lists.shape[1]
    listed = lists >= 0
    e = rng.standard_exponential(size=(n, m), dtype=np.float32)
    flat = np.repeat(np.arange(n, dtype=np.intp) * m, pairs.count)
    flat += pairs.col
    noise = e.reshape(-1)[flat]
    np.maximum(noise, np.float32(1e-30), out=noise)
    np.log(noise, out=noise)
    noise *= np.float32(-model.noise_scale)
    per_setting = np.asarray(model.kind_taste)[:, settings.kind]
    per_setting += model.quality_weight * settings.quality[None, :]
    at = np.repeat(children.need.astype(np.intp) * m, pairs.count)
    at += pairs.col
    u = per_setting.reshape(-1)[at]
    u -= model.distance_weight * pairs.distance
    u += noise
    wish = np.full(n, -1, dtype=np.int32)
    rows = np.flatnonzero(pairs.count)
    if rows.size:
        seg = pairs.start[rows]
        best = np.maximum.reduceat(u, seg)
        hits = np.flatnonzero(u == np.repeat(best, pairs.count[rows]))
        wish[rows] = pairs.col[hits[np.searchsorted(hits, seg)]]
    ul = np.full(lists.shape, -np.inf)
    ul[listed] = u[listed_at[listed]]
    srt = np.argsort(-ul, axis=1, kind="stable")
    prefs = np.take_along_axis(lists, srt, axis=1)
    if model.truncation_probability > 0 and n and k:
        length = listed.sum(axis=1)
        trunc = rng.random(n) < model.truncation_probability
        keep = np.floor(rng.random(n) * length).astype(np.int64) + 1
        keep = np.where(trunc, keep, length)
        prefs = np.where(np.arange(k)[None, :] < keep[:, None], prefs, -1)
    return prefs.astype(np.int32), wish, srt

"""The compiled priority lists of ``from_arrays`` against a plain ``np.lexsort``.

:func:`sendalloc._kernels.priority_lists.priority_lists` packs one key per
ranked slot, sorts the keys in groups of consecutive settings and walks them.
Here its output is rebuilt from scratch with ``np.lexsort`` on (setting,
value, child), on random problems with ties, empty settings, a single setting
and values at the ends of int64, and with groups as small as one slot so
that every way of cutting the settings into groups is tried.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from sendalloc._kernels.priority_lists import (
    MAX_GROUPS,
    priority_lists,
    setting_groups,
)

INT64 = np.iinfo(np.int64)


def lexsort_lists(
    prefs: NDArray[Any], score: NDArray[Any], m: int, ties: bool
) -> dict[str, Any] | None:
    """The expected fields, or None when a tie is refused (``ties`` False)."""
    n, width = prefs.shape
    rows, cols = np.nonzero(prefs >= 0)  # row-major: child order within a row
    sets = prefs[rows, cols].astype(np.int64)
    vals = score[rows, cols].astype(np.int64)
    perm = np.lexsort((rows, vals, sets))
    s_sorted, v_sorted = sets[perm], vals[perm]
    counts = np.bincount(sets, minlength=m)
    end = np.cumsum(counts)
    start = end - counts
    klass = np.zeros(perm.shape[0], dtype=np.int64)
    any_tie = False
    for s in range(m):
        a, b = int(start[s]), int(end[s])
        c = -1
        for t in range(a, b):
            if t > a and v_sorted[t] == v_sorted[t - 1]:
                any_tie = True
                if not ties:
                    return None
            else:
                c += 1
            klass[t] = c if ties else t - a
    assert (np.diff(s_sorted) >= 0).all()
    prio = np.full((n, width), -1, dtype=np.int64)
    prio[rows[perm], cols[perm]] = klass
    return {
        "preferences": prefs,
        "priority": prio,
        "children": rows[perm],
        "start": start,
        "end": end,
        "klass": klass,
        "any_tie": any_tie,
    }


def packs(prefs: NDArray[Any], score: NDArray[Any], m: int) -> bool:
    """Whether (setting, value, child, rank) fits in 63 bits, as before groups."""
    n, width = prefs.shape
    ranked = score[prefs >= 0].astype(object)  # no int64 overflow in max - min
    spread = int(max(ranked) - min(ranked))
    bits = max((n - 1).bit_length(), 1) + max((width - 1).bit_length(), 1)
    return bits + max(spread.bit_length(), 1) + max((m - 1).bit_length(), 1) <= 63


@st.composite
def problems(draw: st.DrawFn) -> tuple[NDArray[Any], NDArray[Any], int]:
    m = draw(st.integers(1, 7))
    n = draw(st.integers(1, 40))
    width = draw(st.integers(1, 5))
    rows = []
    for _ in range(n):
        k = draw(st.integers(0, min(width, m)))
        row = draw(st.permutations(range(m)))[:k]
        rows.append(list(row) + [-1] * (width - k))
    prefs = np.array(rows, dtype=draw(st.sampled_from([np.int32, np.int64])))
    style = draw(st.sampled_from(["ties", "distinct", "extremes", "int32"]))
    if style == "ties":
        values = st.integers(-2, 2)
    elif style == "distinct":
        values = st.integers(0, 10**6)
    elif style == "extremes":
        values = st.sampled_from([INT64.min, INT64.min + 1, -1, 0, INT64.max])
    else:
        values = st.integers(-(2**31), 2**31 - 1)
    flat = draw(st.lists(values, min_size=n * width, max_size=n * width))
    dtype = np.int32 if style == "int32" else np.int64
    return prefs, np.array(flat, dtype=dtype).reshape(n, width), m


@settings(max_examples=400, deadline=None)
@given(
    problem=problems(),
    ties=st.booleans(),
    group_slots=st.sampled_from([1, 2, 3, 5, 8, 1 << 17]),
    threads=st.sampled_from([1, 2]),
)
def test_priority_lists_match_lexsort(
    problem: tuple[NDArray[Any], NDArray[Any], int],
    ties: bool,
    group_slots: int,
    threads: int,
) -> None:
    # Two threads pack half the rows each and sort and walk every other group.
    prefs, score, m = problem
    got = priority_lists(
        prefs, score, m, ties=ties, group_slots=group_slots, threads=threads
    )
    if not (prefs >= 0).any():
        assert got is None  # nothing to rank: the numpy path builds it
        return
    want = lexsort_lists(prefs, score, m, ties)
    if got is None:
        # Refused: a tie that is not allowed, or keys that never packed.
        assert want is None or not packs(prefs, score, m)
        return
    assert want is not None
    for name in ("preferences", "priority", "children", "klass"):
        a = getattr(got, name)
        assert a.dtype == np.int32, name
        np.testing.assert_array_equal(a, want[name], err_msg=name)
    for name in ("start", "end"):
        np.testing.assert_array_equal(getattr(got, name), want[name], err_msg=name)
    assert got.any_tie == want["any_tie"]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("group_slots", [997, 1 << 17])
def test_many_groups_on_a_benchmark_instance(group_slots: int, threads: int) -> None:
    """At 7,000 children a small group size cuts the settings in 64 groups."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    from instances import make_instance

    inst = make_instance(7_000, seed=3)
    m = inst.capacity.shape[0]
    for score, ties in ((inst.priority, False), (inst.priority // 5000, True)):
        got = priority_lists(
            inst.preferences,
            score,
            m,
            ties=ties,
            group_slots=group_slots,
            threads=threads,
        )
        want = lexsort_lists(inst.preferences, score, m, ties)
        assert got is not None
        assert want is not None
        for name in ("priority", "children", "klass", "start", "end"):
            np.testing.assert_array_equal(getattr(got, name), want[name])
        assert got.any_tie == want["any_tie"] == ties


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(0, 50), min_size=1, max_size=30),
    n_groups=st.integers(1, MAX_GROUPS),
)
def test_setting_groups_cut_consecutive_settings(
    counts: list[int], n_groups: int
) -> None:
    c = np.array(counts, dtype=np.int64)
    group, first, bounds = setting_groups(c, n_groups)
    g = first.shape[0] - 1
    assert 1 <= g <= n_groups + 1  # trailing empty settings may form one more
    assert group[0] == 0
    assert group[-1] == g - 1
    assert (np.diff(group) >= 0).all()
    assert first[0] == 0
    assert first[-1] == c.shape[0]
    assert (np.diff(first) > 0).all()
    for j in range(g):
        assert (group[first[j] : first[j + 1]] == j).all()
        assert bounds[j + 1] - bounds[j] == c[first[j] : first[j + 1]].sum()
    assert bounds[0] == 0
    assert bounds[-1] == c.sum()


def test_uncompiled_kernels_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernels' plain Python (``py_func``) gives the compiled results."""
    import sendalloc._kernels.priority_lists as module

    rng = np.random.default_rng(7)
    cases = []
    for _ in range(20):
        n, m, width = int(rng.integers(1, 30)), int(rng.integers(1, 6)), 4
        prefs = np.full((n, width), -1, dtype=np.int32)
        for i in range(n):
            k = int(rng.integers(0, min(width, m) + 1))
            prefs[i, :k] = rng.choice(m, k, replace=False)
        score = rng.integers(-3, 4 if rng.integers(0, 2) else 10**6, (n, width))
        cases.append(
            (prefs, score, m, bool(rng.integers(0, 2)), int(rng.integers(1, 9)))
        )
    compiled = [
        priority_lists(p, s, m, ties=t, group_slots=g) for p, s, m, t, g in cases
    ]
    kernels = ("_count_kernel", "_pack_kernel", "_unpack_kernel")
    for name in kernels:
        monkeypatch.setattr(module, name, getattr(module, name).py_func)
    for k, ((p, s, m, t, g), want) in enumerate(zip(cases, compiled, strict=True)):
        got = priority_lists(p, s, m, ties=t, group_slots=g, threads=1 + k % 2)
        assert (got is None) == (want is None)
        if got is not None and want is not None:
            for field in ("preferences", "priority", "children", "klass", "start"):
                np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
            assert got.any_tie == want.any_tie

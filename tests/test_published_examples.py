"""Textbook instances with outcomes derived by hand.

Every expected allocation below is worked out in the comments from the rule's
definition, never copied from the code under test. Sources for the textbook
facts: Gale & Shapley (1962), "College admissions and the stability of
marriage", American Mathematical Monthly 69(1), 9-15; Roth & Sotomayor (1990),
Two-Sided Matching, Cambridge University Press (ch. 2 and 5: the lattice of
stable matchings, optimality of the proposing side, inefficiency of the
child-optimal stable matching); Abdulkadiroglu & Sonmez (2003), "School choice:
a mechanism design approach", American Economic Review 93(3), 729-747 (Boston,
DA and TTC for school choice).
"""

from __future__ import annotations

import pytest

import sendalloc as sa
from sendalloc import Problem


def alloc(p: Problem, name: str) -> dict[object, object]:
    return sa.allocate(p, name).to_dict()


# ------------------------------------------------------------------ Gale & Shapley
@pytest.fixture
def gale_shapley_3x3() -> Problem:
    """Gale & Shapley (1962), the 3 x 3 marriage example with three stable
    matchings (Roth & Sotomayor 1990, ch. 2). Men alpha, beta, gamma are the
    children; women A, B, C settings with one place each. Ranking matrix
    (man's rank of woman, woman's rank of man):

              A     B     C
      alpha  1,3   2,2   3,1
      beta   3,1   1,3   2,2
      gamma  2,2   3,1   1,3

    so alpha: A B C, beta: B C A, gamma: C A B; A: beta gamma alpha,
    B: gamma alpha beta, C: alpha beta gamma.
    """
    return Problem.from_dicts(
        {"A": 1, "B": 1, "C": 1},
        {
            "alpha": ["A", "B", "C"],
            "beta": ["B", "C", "A"],
            "gamma": ["C", "A", "B"],
        },
        priorities={
            "A": ["beta", "gamma", "alpha"],
            "B": ["gamma", "alpha", "beta"],
            "C": ["alpha", "beta", "gamma"],
        },
    )


def test_gale_shapley_men_proposing(gale_shapley_3x3: Problem) -> None:
    # Men propose to their first choices A, B, C: no two to the same woman, so
    # every proposal is held and the men-optimal matching gives each man his
    # first choice.
    assert alloc(gale_shapley_3x3, "deferred_acceptance") == {
        "alpha": "A",
        "beta": "B",
        "gamma": "C",
    }


def test_gale_shapley_women_proposing(gale_shapley_3x3: Problem) -> None:
    # Women propose to their first choices: A -> beta, B -> gamma, C -> alpha.
    # Each man receives exactly one offer (each his third choice) and holds it:
    # the women-optimal matching, every woman with her first choice.
    assert alloc(gale_shapley_3x3, "setting_proposing_deferred_acceptance") == {
        "alpha": "C",
        "beta": "A",
        "gamma": "B",
    }


def test_gale_shapley_ttc_and_boston(gale_shapley_3x3: Problem) -> None:
    # TTC: A -> beta, B -> gamma, C -> alpha; alpha -> A, beta -> B, gamma -> C.
    # One cycle alpha-A-beta-B-gamma-C-alpha: each man gets the woman he
    # points to, his first choice. Boston round 0: distinct first choices, all
    # accepted. Both equal the men-optimal matching here.
    first_choices = {"alpha": "A", "beta": "B", "gamma": "C"}
    assert alloc(gale_shapley_3x3, "top_trading_cycles") == first_choices
    assert alloc(gale_shapley_3x3, "boston") == first_choices


# ------------------------------------------------------------------ college admissions
@pytest.fixture
def college() -> Problem:
    """A college-admissions instance (capacities > 1) in the style of Gale &
    Shapley (1962) section 3: Oak 2 places, Elm 1. Children a, b, c, d.

    a: Oak Elm;  b: Oak Elm;  c: Oak;  d: Elm Oak.
    Oak ranks c d a b;  Elm ranks a b d.
    """
    return Problem.from_dicts(
        {"Oak": 2, "Elm": 1},
        {"a": ["Oak", "Elm"], "b": ["Oak", "Elm"], "c": ["Oak"], "d": ["Elm", "Oak"]},
        priorities={"Oak": ["c", "d", "a", "b"], "Elm": ["a", "b", "d"]},
    )


def test_college_deferred_acceptance(college: Problem) -> None:
    # Round 1: a, b, c -> Oak; d -> Elm. Oak holds its best two of {a, b, c}:
    #   c, a; rejects b. Elm holds d.
    # Round 2: b -> Elm; Elm ranks b above d: holds b, rejects d.
    # Round 3: d -> Oak; Oak holds c, a; d beats a: holds c, d; rejects a.
    # Round 4: a -> Elm; a beats b: holds a, rejects b. b has no choice left.
    # Result: a Elm, b none, c Oak, d Oak.
    assert alloc(college, "deferred_acceptance") == {
        "a": "Elm",
        "b": None,
        "c": "Oak",
        "d": "Oak",
    }


def test_college_setting_proposing(college: Problem) -> None:
    # Oak offers to its top two, c and d; Elm to a. c holds Oak (only choice),
    # d holds Oak (only offer), a holds Elm (only offer). No refusal, so no new
    # offers: the same matching as child-proposing DA, so it is the unique
    # stable matching (Roth & Sotomayor 1990, the lattice of stable matchings).
    assert alloc(college, "setting_proposing_deferred_acceptance") == {
        "a": "Elm",
        "b": None,
        "c": "Oak",
        "d": "Oak",
    }


def test_college_boston_differs_from_deferred_acceptance(college: Problem) -> None:
    # Boston round 0: a, b, c -> Oak (2 places): accepts c, a for good.
    #   d -> Elm: accepted. Round 1: b -> Elm, full: rejected. b unplaced.
    # Result: a Oak, b none, c Oak, d Elm: every placed child at their first
    # choice, where DA gives a and d their second choices (DA is not Pareto
    # efficient). Adaptive Boston is the same: in round 1 b finds Oak and Elm
    # both full.
    expected = {"a": "Oak", "b": None, "c": "Oak", "d": "Elm"}
    assert alloc(college, "boston") == expected
    assert alloc(college, "adaptive_boston") == expected
    assert alloc(college, "boston") != alloc(college, "deferred_acceptance")


def test_college_top_trading_cycles(college: Problem) -> None:
    # Step 1: Oak -> c, Elm -> a; a -> Oak, b -> Oak, c -> Oak, d -> Elm.
    #   Only cycle: c -> Oak -> c. c gets Oak, which keeps 1 place.
    # Step 2: Oak -> d (next on its list), Elm -> a; a -> Oak, b -> Oak,
    #   d -> Elm. Cycle a -> Oak -> d -> Elm -> a: a gets Oak, d gets Elm.
    # Step 3: b's settings are full: b leaves unplaced.
    assert alloc(college, "top_trading_cycles") == {
        "a": "Oak",
        "b": None,
        "c": "Oak",
        "d": "Elm",
    }


def test_college_first_available_and_max_placement(college: Problem) -> None:
    # First available, order a b c d: a Oak, b Oak (Oak now full), c none,
    # d Elm.
    assert alloc(college, "first_available") == {
        "a": "Oak",
        "b": "Oak",
        "c": None,
        "d": "Elm",
    }
    # Planner: 3 places, and 3 children can each get their first choice
    # (two of a, b, c at Oak, d at Elm): 3 placed, total rank 0.
    a = sa.allocate(college, "max_placement")
    assert int(a.placed.sum()) == 3
    assert int(a.rank[a.placed].sum()) == 0


# ------------------------------------------------------------------ Boston vs DA
@pytest.fixture
def boston_vs_da() -> Problem:
    """Oak 1, Elm 1. amy: Elm Oak; ben: Oak; cat: Elm.
    Oak ranks amy, ben; Elm ranks cat, amy."""
    return Problem.from_dicts(
        {"Oak": 1, "Elm": 1},
        {"amy": ["Elm", "Oak"], "ben": ["Oak"], "cat": ["Elm"]},
        priorities={"Oak": ["amy", "ben"], "Elm": ["cat", "amy"]},
    )


def test_boston_punishes_a_second_choice(boston_vs_da: Problem) -> None:
    # Boston round 0: amy, cat -> Elm: cat has priority, accepted; ben -> Oak,
    # accepted. Round 1: amy -> Oak, already full: amy unplaced, though she
    # has higher priority at Oak than ben (justified envy).
    assert alloc(boston_vs_da, "boston") == {"amy": None, "ben": "Oak", "cat": "Elm"}
    # DA round 1: Elm holds cat, rejects amy; Oak holds ben. Round 2: amy ->
    # Oak, beats ben: holds amy, rejects ben; ben has nothing left.
    assert alloc(boston_vs_da, "deferred_acceptance") == {
        "amy": "Oak",
        "ben": None,
        "cat": "Elm",
    }


def test_adaptive_boston_skips_full_settings() -> None:
    # Oak 1, Elm 1, Ash 1. amy: Elm Oak Ash; ben: Oak; cat: Elm; dan: Oak Ash.
    # Oak ranks ben dan amy; Elm ranks cat amy; Ash ranks amy dan.
    # Round 0 (both rules): Elm takes cat over amy; Oak takes ben over dan.
    # Classic round 1: amy -> Oak (full, wasted); dan -> Ash, accepted.
    #   Round 2: amy -> Ash, full. amy unplaced.
    # Adaptive round 1: Oak and Elm are full, so amy applies to Ash, and dan
    #   too; Ash ranks amy first. dan is left with nothing.
    p = Problem.from_dicts(
        {"Oak": 1, "Elm": 1, "Ash": 1},
        {
            "amy": ["Elm", "Oak", "Ash"],
            "ben": ["Oak"],
            "cat": ["Elm"],
            "dan": ["Oak", "Ash"],
        },
        priorities={
            "Oak": ["ben", "dan", "amy"],
            "Elm": ["cat", "amy"],
            "Ash": ["amy", "dan"],
        },
    )
    assert alloc(p, "boston") == {"amy": None, "ben": "Oak", "cat": "Elm", "dan": "Ash"}
    assert alloc(p, "adaptive_boston") == {
        "amy": "Ash",
        "ben": "Oak",
        "cat": "Elm",
        "dan": None,
    }


# ------------------------------------------------------- DA inefficient, TTC not
def test_da_not_pareto_efficient_but_ttc_is() -> None:
    # The standard three-child example (Roth & Sotomayor 1990; Abdulkadiroglu
    # & Sonmez 2003, section on the efficiency cost of stability).
    # s1, s2, s3 one place each. i1: s2 s1 s3; i2: s1 s2 s3; i3: s1 s2 s3.
    # s1 ranks i1 i3 i2; s2 ranks i2 i1 i3; s3 ranks i3 i1 i2.
    p = Problem.from_lists(
        [1, 1, 1],
        [[1, 0, 2], [0, 1, 2], [0, 1, 2]],
        priorities=[[0, 2, 1], [1, 0, 2], [2, 0, 1]],
    )
    # DA: i1 -> s2, i2 -> s1, i3 -> s1; s1 keeps i3, rejects i2.
    #   i2 -> s2: beats i1; i1 rejected. i1 -> s1: beats i3; i3 rejected.
    #   i3 -> s2: i2 is better; rejected. i3 -> s3: held.
    #   i1 s1, i2 s2, i3 s3: i1 and i2 both at their second choice.
    assert sa.allocate(p, "deferred_acceptance").assignment.tolist() == [0, 1, 2]
    # TTC step 1: s1 -> i1, s2 -> i2, s3 -> i3; i1 -> s2, i2 -> s1, i3 -> s1.
    #   Cycle i1 -> s2 -> i2 -> s1 -> i1: i1 gets s2, i2 gets s1.
    # Step 2: i3 -> s3 (s1, s2 full), s3 -> i3: i3 gets s3.
    # i1 and i2 get their first choices, i3 is unchanged: TTC Pareto dominates DA.
    assert sa.allocate(p, "top_trading_cycles").assignment.tolist() == [1, 0, 2]
    # Setting-proposing: s1 -> i1, s2 -> i2, s3 -> i3, each held: the same
    # matching as child-proposing DA, so it is the unique stable one.
    sp = sa.allocate(p, "setting_proposing_deferred_acceptance")
    assert sp.assignment.tolist() == [0, 1, 2]


# ------------------------------------------------------- canonical TTC pointing
def test_ttc_setting_points_at_a_child_who_did_not_list_it() -> None:
    # Oak 1, Elm 1. amy: Elm; ben: Oak Elm; cat: Oak.
    # Oak ranks amy (who did not list Oak), cat, ben; Elm ranks ben, amy.
    # Step 1: Oak -> amy, Elm -> ben; amy -> Elm, ben -> Oak, cat -> Oak.
    #   Cycle amy -> Elm -> ben -> Oak -> amy: amy gets Elm, ben gets Oak,
    #   trading amy's priority at Oak. Step 2: cat's only setting is full.
    p = Problem.from_dicts(
        {"Oak": 1, "Elm": 1},
        {"amy": ["Elm"], "ben": ["Oak", "Elm"], "cat": ["Oak"]},
        priorities={"Oak": ["amy", "cat", "ben"], "Elm": ["ben", "amy"]},
    )
    assert alloc(p, "top_trading_cycles") == {"amy": "Elm", "ben": "Oak", "cat": None}
    # Setting-proposing DA: Oak offers to amy, refused at once (not listed),
    # then to cat, held. Elm offers to ben, held (his only offer). amy none.
    assert alloc(p, "setting_proposing_deferred_acceptance") == {
        "amy": None,
        "ben": "Elm",
        "cat": "Oak",
    }
    # Without amy on Oak's list: step 1 Oak -> cat, cat -> Oak, a cycle: cat
    # gets Oak. Step 2: ben -> Elm (Oak full), Elm -> ben: ben gets Elm.
    # Step 3: amy's only setting is full: amy unplaced.
    q = Problem.from_dicts(
        {"Oak": 1, "Elm": 1},
        {"amy": ["Elm"], "ben": ["Oak", "Elm"], "cat": ["Oak"]},
        priorities={"Oak": ["cat", "ben"], "Elm": ["ben", "amy"]},
    )
    assert alloc(q, "top_trading_cycles") == {"amy": None, "ben": "Elm", "cat": "Oak"}


# ------------------------------------------------------------------ processing order
def test_processing_order_changes_first_available() -> None:
    # Oak 1, Elm 1. amy: Oak Elm; ben: Oak. Serial dictatorship takes children
    # in order, each taking their best setting with a place.
    # Order amy, ben: amy takes Oak; ben's only setting is full.
    # Order ben, amy: ben takes Oak; amy takes Elm, and both are placed.
    prefs = {"amy": ["Oak", "Elm"], "ben": ["Oak"]}
    first = Problem.from_dicts({"Oak": 1, "Elm": 1}, prefs, order=["amy", "ben"])
    second = Problem.from_dicts({"Oak": 1, "Elm": 1}, prefs, order=["ben", "amy"])
    assert alloc(first, "first_available") == {"amy": "Oak", "ben": None}
    assert alloc(second, "first_available") == {"amy": "Elm", "ben": "Oak"}
    # The planner places both whatever the order: amy Elm (rank 1), ben Oak.
    assert alloc(first, "max_placement") == {"amy": "Elm", "ben": "Oak"}


def test_without_priorities_da_ttc_and_first_available_agree() -> None:
    # With no priorities every setting ranks children by the LA's order
    # (ben, cat, amy here), so DA and TTC reduce to serial dictatorship in
    # that order (Abdulkadiroglu & Sonmez 2003): ben takes Oak, cat takes
    # Elm, amy finds both full.
    p = Problem.from_dicts(
        {"Oak": 1, "Elm": 1},
        {"amy": ["Oak", "Elm"], "ben": ["Oak", "Elm"], "cat": ["Oak", "Elm"]},
        order=["ben", "cat", "amy"],
    )
    expected = {"amy": None, "ben": "Oak", "cat": "Elm"}
    for name in ("first_available", "deferred_acceptance", "top_trading_cycles"):
        assert alloc(p, name) == expected, name


# --------------------------------------------------------------------------- A&S 2003
# Abdulkadiroglu, A. & Sonmez, T. (2003). School choice: a mechanism design
# approach. American Economic Review 93(3), 729-747: the worked example of the
# Appendix (pp. 742-744). Eight students, four schools with 2, 2, 3 and 3 seats.
# (The instance is also transcribed in the documentation of the R package
# matchingMarkets, function ttc2.)
AS2003_PREFERENCES = {
    "i1": ["s2", "s1", "s3", "s4"],
    "i2": ["s1", "s2", "s3", "s4"],
    "i3": ["s3", "s2", "s1", "s4"],
    "i4": ["s3", "s4", "s1", "s2"],
    "i5": ["s1", "s3", "s4", "s2"],
    "i6": ["s4", "s1", "s2", "s3"],
    "i7": ["s1", "s2", "s3", "s4"],
    "i8": ["s1", "s2", "s4", "s3"],
}
AS2003_PRIORITIES = {
    "s1": ["i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8"],
    "s2": ["i3", "i5", "i4", "i8", "i7", "i2", "i1", "i6"],
    "s3": ["i5", "i3", "i1", "i7", "i2", "i8", "i6", "i4"],
    "s4": ["i6", "i8", "i7", "i4", "i2", "i3", "i5", "i1"],
}
AS2003 = sa.Problem.from_dicts(
    {"s1": 2, "s2": 2, "s3": 3, "s4": 3},
    AS2003_PREFERENCES,
    priorities=AS2003_PRIORITIES,
)


def test_as2003_top_trading_cycles() -> None:
    # The paper's outcome. Step 1: schools point to i1, i3, i5, i6; students to
    # their first choices; cycles s4-i6 and s1-i1-s2-i3-s3-i5 clear. Step 2:
    # s1 points to i2, who points to s1. Step 3: s2-i4-s3-i7 (i7's s1 is full).
    # Step 4: i8 takes s4 (s1 and s2 full).
    assert sa.allocate(AS2003, "top_trading_cycles").to_dict() == {
        "i1": "s2", "i2": "s1", "i3": "s3", "i4": "s3",
        "i5": "s1", "i6": "s4", "i7": "s2", "i8": "s4",
    }  # fmt: skip


def test_as2003_deferred_acceptance() -> None:
    # Derived by hand on the paper's instance. Round 1: s1 holds i2, i5 and
    # rejects i7, i8. Round 2: i7, i8 propose to s2, which holds i8, i7 and
    # rejects i1. Round 3: i1 proposes to s1, which holds i1, i2 and rejects i5.
    # Round 4: i5 proposes to s3, which has room.
    assert sa.allocate(AS2003, "deferred_acceptance").to_dict() == {
        "i1": "s1", "i2": "s1", "i3": "s3", "i4": "s3",
        "i5": "s3", "i6": "s4", "i7": "s2", "i8": "s2",
    }  # fmt: skip


def test_as2003_boston() -> None:
    # Derived by hand on the paper's instance. Round 1: s1 accepts i2, i5; s2
    # i1; s3 i3, i4; s4 i6. Round 2: i7 and i8 apply to s2 (one seat left),
    # which takes i8. Round 3: i7 applies to s3 (one seat left).
    assert sa.allocate(AS2003, "boston").to_dict() == {
        "i1": "s2", "i2": "s1", "i3": "s3", "i4": "s3",
        "i5": "s1", "i6": "s4", "i7": "s3", "i8": "s2",
    }  # fmt: skip


def test_as2003_outcomes_have_their_theorems() -> None:
    from sendalloc import properties as P

    da = sa.allocate(AS2003, "deferred_acceptance")
    ttc = sa.allocate(AS2003, "top_trading_cycles")
    assert P.is_stable(AS2003, da)  # Gale & Shapley (1962)
    assert P.is_pareto_efficient(AS2003, ttc)  # Abdulkadiroglu & Sonmez (2003)
    # Ten seats for eight children who rank every school: all are placed.
    for name in ("boston", "deferred_acceptance", "top_trading_cycles"):
        assert sa.allocate(AS2003, name).placed.all()

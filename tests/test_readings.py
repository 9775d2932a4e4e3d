"""How the presets read their sources (issue 13, item 5).

Each test pins one reading of docs/modelling.md to the source table, so that a
preset which drifts back to a misreading fails here. Source ids are those of
docs/sources.md (sendalloc.sources).
"""

from __future__ import annotations

import pytest

import sendalloc as sa
from sendalloc.sources import source

PRESETS = ["county", "london_borough", "large_county"]


def _value(sid: str) -> float:
    v = source(sid).value
    assert isinstance(v, int | float), sid
    return float(v)


# ------------------------------------------------- specialist share of new plans
@pytest.mark.parametrize("name", PRESETS)
def test_new_plan_specialist_share_is_a_range_over_the_unknown(name: str) -> None:
    """pq-53854-*: 74.9% of new plans name mainstream, 10.5% special, 14.6% other
    or unknown. Reading all of the unknown as specialist (25.1%) is one end of the
    range the source allows, not its central reading."""
    sc = sa.load_scenario(name)
    assert sc.population is not None
    low = _value("pq-53854-new-plans-special")
    high = _value("pq-53854-new-plans-not-mainstream")
    u = sc.uncertainty["population.specialist_share_new"]
    assert (u.low, u.high) == (low, high)
    central = sc.population.specialist_share_new
    assert central == _value("pq-53854-new-plans-special-of-named")
    assert low < central < high

"""Renderers of a sensitivity analysis: JSON document, CSV rows, text table, tornado.

They read a :class:`~sendalloc.sensitivity.SensitivityResult` through the small
protocol :class:`SensitivityLike`. Schema: docs/sensitivity.md.
"""

from __future__ import annotations

import csv
import io
import math
import os
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.stats import clean
from sendalloc._engine.streams import Root, seed_json
from sendalloc._report.common import METRIC_KINDS, grid, label
from sendalloc._version import VERSION

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "INDEX_LABELS",
    "SensitivityLike",
    "csv_rows",
    "plot",
    "result_dict",
    "table",
    "to_csv",
    "to_frame",
    "value_text",
]

#: How each index heads a column.
INDEX_LABELS: dict[str, str] = {
    "ST": "total effect ST",
    "S1": "first order S1",
    "mu_star": "mu*",
    "mu": "mu",
    "sigma": "sigma",
}


class SensitivityLike(Protocol):
    """What the renderers read from a sensitivity result."""

    @property
    def scenario(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def mechanism(self) -> str: ...
    @property
    def measures(self) -> tuple[str, ...]: ...
    @property
    def parameters(self) -> tuple[str, ...]: ...
    @property
    def members(self) -> dict[str, tuple[str, ...]]: ...
    @property
    def grouping(self) -> str: ...
    @property
    def samples(self) -> int: ...
    @property
    def runs(self) -> int: ...
    @property
    def evaluations(self) -> int: ...
    @property
    def seed(self) -> Root: ...
    @property
    def conf_level(self) -> float: ...
    @property
    def resamples(self) -> int: ...
    @property
    def indices(self) -> dict[str, NDArray[np.float64]]: ...
    @property
    def base(self) -> NDArray[np.float64]: ...
    @property
    def low(self) -> NDArray[np.float64]: ...
    @property
    def high(self) -> NDArray[np.float64]: ...
    @property
    def key_index(self) -> str: ...
    def ranking(self, measure: str | None = None) -> tuple[str, ...]: ...


def value_text(measure: str, x: float) -> str:
    """A measure's value: a share as a percentage, else three figures.

    Examples
    --------
    >>> value_text("unplaced[need=SLD]", 0.1234)
    '12.3%'
    >>> value_text("mean_distance_km", 8.7123)
    '8.71'
    """
    if math.isnan(x):
        return "-"
    metric = measure.split("[", 1)[0]
    if METRIC_KINDS.get(metric) == "pct":
        return f"{100 * x:.1f}%"
    return f"{x:.3g}"


def _order(r: SensitivityLike, i: int) -> NDArray[np.intp]:
    """Parameters by the key index on measure ``i``, largest first."""
    key = np.nan_to_num(r.indices[r.key_index][i], nan=-1.0)
    return np.argsort(-key, kind="stable")


def result_dict(r: SensitivityLike) -> dict[str, Any]:
    """The JSON document of a sensitivity analysis (schema: docs/sensitivity.md)."""
    names = tuple(r.indices)
    results: dict[str, Any] = {}
    for i, m in enumerate(r.measures):
        per: dict[str, Any] = {}
        for j, p in enumerate(r.parameters):
            cell = {k: clean(float(r.indices[k][i, j])) for k in names}
            cell["low"] = clean(float(r.low[i, j]))
            cell["high"] = clean(float(r.high[i, j]))
            per[p] = cell
        results[m] = {
            "base": clean(float(r.base[i])),
            "ranking": list(r.ranking(m)),
            "parameters": per,
        }
    return {
        "sendalloc_version": VERSION,
        "scenario": r.scenario,
        "method": r.method,
        "mechanism": r.mechanism,
        "measures": list(r.measures),
        "grouping": r.grouping,
        "samples": r.samples,
        "runs": r.runs,
        "evaluations": r.evaluations,
        "seed": seed_json(r.seed),
        "conf_level": r.conf_level,
        "resamples": r.resamples,
        "parameters": {p: list(r.members[p]) for p in r.parameters},
        "results": results,
    }


def csv_rows(r: SensitivityLike) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of :func:`to_csv`: one per measure and parameter."""
    names = list(r.indices)
    head = ["measure", "parameter", "rank", *names, "low", "high", "base"]
    rows = []
    for i, m in enumerate(r.measures):
        rank = {j: k + 1 for k, j in enumerate(_order(r, i))}
        for j, p in enumerate(r.parameters):
            rows.append(
                [
                    m,
                    p,
                    rank[j],
                    *(float(r.indices[k][i, j]) for k in names),
                    float(r.low[i, j]),
                    float(r.high[i, j]),
                    float(r.base[i]),
                ]
            )
    return head, rows


def to_csv(r: SensitivityLike, path: str | os.PathLike[str] | None = None) -> str:
    """One row per measure and parameter; NaN is an empty cell."""
    head, rows = csv_rows(r)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    for row in rows:
        w.writerow(
            [
                ""
                if isinstance(v, float) and math.isnan(v)
                else (repr(v) if isinstance(v, float) else v)
                for v in row
            ]
        )
    text = buf.getvalue()
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return text


def to_frame(r: SensitivityLike) -> pd.DataFrame:
    """The rows of :func:`to_csv` as a pandas DataFrame."""
    import pandas as pd

    head, rows = csv_rows(r)
    return pd.DataFrame(rows, columns=head)


def _ci(x: float, half: float) -> str:
    if math.isnan(x):
        return "-"
    if math.isnan(half):
        return f"{x:.2f}"
    return f"{x:.2f} ({x - half:.2f} to {x + half:.2f})"


def table(r: SensitivityLike, i: int, *, top: int | None = None) -> str:
    """The ranking of measure ``i`` as a text table, with what was run."""
    m = r.measures[i]
    g = len(r.parameters)
    if r.method == "sobol":
        what = "Sobol indices"
        cost = f"{r.samples} x ({g} + 2) = {r.evaluations:,} evaluations"
        cols = [("ST", "ST_conf"), ("S1", "S1_conf")]
    else:
        what = "Morris elementary effects"
        cost = f"{r.samples} trajectories x ({g} + 1) = {r.evaluations:,} evaluations"
        cols = [("mu_star", "mu_star_conf"), ("sigma", "")]
    level = f"{100 * r.conf_level:.0f}%"
    lines = [
        f"{what} of {m} under {label(r.mechanism)}, {r.scenario}: {cost} of "
        f"{r.runs} simulated round{'s' * (r.runs != 1)} each (the same in every "
        "evaluation); "
        f"{level} intervals from {r.resamples} bootstrap resamples; parameters "
        f"grouped by {r.grouping}.",
        f"With every assumption as written: {value_text(m, float(r.base[i]))}.",
        "",
    ]
    head = [
        f"parameter, by {INDEX_LABELS[cols[0][0]]}",
        *(INDEX_LABELS[k] for k, _ in cols),
        "at low end",
        "at high end",
    ]
    body = []
    order = _order(r, i)
    for rank, j in enumerate(order[: top or len(order)], start=1):
        body.append(
            [
                f"{rank:>2}. {r.parameters[j]}",
                *(
                    _ci(
                        float(r.indices[k][i, j]),
                        float(r.indices[c][i, j]) if c else math.nan,
                    )
                    for k, c in cols
                ),
                value_text(m, float(r.low[i, j])),
                value_text(m, float(r.high[i, j])),
            ]
        )
    lines += grid([head, *body])
    if top is not None and top < len(order):
        lines.append(f"... and {len(order) - top} more parameters.")
    return "\n".join(lines)


def plot(
    r: SensitivityLike,
    i: int,
    path: str | os.PathLike[str] | None = None,
    *,
    top: int | None = 20,
) -> Figure:
    """A tornado figure of measure ``i``: the indices, and the one-at-a-time swings."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "figures need matplotlib: pip install 'sendalloc[plot]'"
        ) from None
    m = r.measures[i]
    order = _order(r, i)[: top or len(r.parameters)]
    names = [r.parameters[j] for j in order]
    y = np.arange(len(order))[::-1]
    fig, (ax1, ax2) = plt.subplots(
        1,
        2,
        figsize=(12, 0.9 + 0.32 * len(order)),
        sharey=True,
        layout="constrained",
    )
    if r.method == "sobol":
        st, stc = r.indices["ST"][i, order], r.indices["ST_conf"][i, order]
        s1, s1c = r.indices["S1"][i, order], r.indices["S1_conf"][i, order]
        ax1.barh(y, st, xerr=stc, color="#4c72b0", label="total effect ST", capsize=2)
        ax1.errorbar(
            s1, y, xerr=s1c, fmt="o", color="#dd8452", label="first order S1", ms=4
        )
        ax1.set_xlabel(f"Sobol index ({100 * r.conf_level:.0f}% interval)")
        ax1.axvline(0, color="0.5", lw=0.8)
    else:
        mu = r.indices["mu_star"][i, order]
        muc = r.indices["mu_star_conf"][i, order]
        ax1.barh(y, mu, xerr=muc, color="#4c72b0", label="mu*", capsize=2)
        ax1.plot(r.indices["sigma"][i, order], y, "o", color="#dd8452", label="sigma")
        ax1.set_xlabel("Morris elementary effect, per unit of quantile")
    ax1.set_yticks(y, names)
    ax1.legend(loc="lower right", fontsize="small")
    ax1.set_title("How much of the variance each explains")
    base = float(r.base[i])
    scale = 100.0 if METRIC_KINDS.get(m.split("[", 1)[0]) == "pct" else 1.0
    lo, hi = scale * r.low[i, order], scale * r.high[i, order]
    b = scale * base
    ax2.barh(y, lo - b, left=b, color="#55a868", label="at the low end of its range")
    ax2.barh(y, hi - b, left=b, color="#c44e52", label="at the high end", alpha=0.85)
    ax2.axvline(b, color="0.2", lw=1)
    unit = " (%)" if scale == 100.0 else ""
    ax2.set_xlabel(f"{m}{unit}: one at a time, the others as written")
    ax2.legend(loc="lower right", fontsize="small")
    ax2.set_title(f"As written: {value_text(m, base)}")
    fig.suptitle(
        f"{r.scenario}: what moves {m} under {r.mechanism} ({r.method}, "
        f"{r.evaluations:,} evaluations x {r.runs} rounds)"
    )
    if path is not None:
        fig.savefig(path)
    return fig

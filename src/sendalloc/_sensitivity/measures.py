"""What a sensitivity analysis measures (``Measure``) and the names of its methods.

Public names are re-exported by :mod:`sendalloc.sensitivity`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

__all__ = ["DEFAULT_MEASURE", "INDICES", "METHODS", "Measure"]


#: The analyses :func:`sensitivity` runs.
METHODS: tuple[str, ...] = ("sobol", "morris")
#: The default measure: the share of children left without a listed place.
DEFAULT_MEASURE = "unplaced"
#: The indices each method reports, in order (``*_conf``: half-width of the
#: confidence interval).
INDICES: dict[str, tuple[str, ...]] = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "mu", "sigma"),
}


_MEASURE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(?:\[\s*(\w+)\s*=\s*([^\]]+?)\s*\])?\s*$")


# --------------------------------------------------------------------------- measures
@dataclass(frozen=True, slots=True)
class Measure:
    """A number to analyse: a metric of a result, optionally within one group.

    Attributes
    ----------
    metric : str
        A metric of the result (``"unplaced"``, ``"first_preference"``; any
        name of ``result.metrics``, or of a breakdown's columns).
    by : str, optional
        A breakdown of the result (``"need"``, ``"phase"``, ``"kind"``, or
        any other the result has).
    group : str, optional
        A group of that breakdown (``"SLD"``); given with ``by``.

    Examples
    --------
    >>> Measure.parse("unplaced[need=SLD]")
    Measure(metric='unplaced', by='need', group='SLD')
    >>> str(Measure("unplaced"))
    'unplaced'
    >>> import sendalloc as sa
    >>> r = sa.simulate("london_borough", ["first_available"], runs=3, seed=1)
    >>> m = Measure.parse("unplaced")
    >>> runs = r.metric("unplaced", "first_available")
    >>> bool(m.value(r, "first_available") == runs.mean())
    True
    """

    metric: str
    by: str | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        if (self.by is None) != (self.group is None):
            raise ValueError(
                f"measure {self.metric!r}: by and group go together, got "
                f"by={self.by!r}, group={self.group!r}"
            )

    def __str__(self) -> str:
        if self.by is None:
            return self.metric
        return f"{self.metric}[{self.by}={self.group}]"

    @classmethod
    def parse(cls, text: str | Measure) -> Measure:
        """A measure from ``"metric"`` or ``"metric[by=group]"`` (or a Measure).

        Raises
        ------
        ValueError
            For text of another form.
        """
        if isinstance(text, Measure):
            return text
        m = _MEASURE.match(text) if isinstance(text, str) else None
        if m is None:
            raise ValueError(
                f"measure: expected 'metric' or 'metric[by=group]' (e.g. "
                f"'unplaced[need=SLD]'), got {text!r}"
            )
        return cls(m.group(1), m.group(2), m.group(3))

    def value(self, result: Any, mechanism: str) -> float:
        """The measure's mean over a result's runs, for one mechanism.

        Raises
        ------
        ValueError
            Naming the unknown metric, breakdown, group or mechanism and the
            valid ones.
        """
        s = result.summary(self.by)
        return float(s.get(mechanism, self.metric, self.group)["mean"])

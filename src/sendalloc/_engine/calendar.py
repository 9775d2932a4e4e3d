"""The calendar of a simulated year: days 1-365, months, term dates."""

from __future__ import annotations

import numpy as np

__all__ = ["MONTHS", "MONTH_END", "MONTH_OF", "TERM_END_DAYS", "YEAR_END"]

#: Month names, in the order of the monthly breakdown.
MONTHS: tuple[str, ...] = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
#: Last day of each month (day of the year, 1-365).
MONTH_END = np.array([31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365])
#: Day of the year (1-365) -> month index, for days 0..366 (0 and 366 clipped).
MONTH_OF = np.clip(np.searchsorted(MONTH_END, np.arange(367), side="left"), 0, 11)

#: Batch days of ``batch = "termly"``: the approximate last days of the spring
#: (5 April), summer (22 July) and autumn (20 December) terms. An assumption: term
#: dates vary by LA and year.
TERM_END_DAYS: tuple[int, ...] = (95, 203, 354)

YEAR_END = 366  # the day after the last day: waiting is censored here

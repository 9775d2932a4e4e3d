"""Renderers of Monte Carlo results (internal): text, JSON, CSV, frames, figures.

They read a result through the small :class:`~sendalloc._report.common.Reportable`
protocol (its summaries and a few attributes), never through the result
classes, so the result classes can import them and any result-like object
(a sensitivity analysis, say) can be rendered. Annual and time results share
the JSON, CSV and frame writers; text tables and figures dispatch on
``result.mode``. :mod:`sendalloc.report` is the public front.
"""

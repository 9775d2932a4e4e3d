"""The parts of :mod:`sendalloc.metrics` (import from there).

- :mod:`.common`: metric names, groupings, what an instance must offer, walking
  distance and transport.
- :mod:`.fallback`: the LA's second stage (``la_fallback``).
- :mod:`.breakdowns`: ``Outcome``, ``Context`` and ``outcome_arrays``, the
  metrics overall and broken down by group.
- :mod:`.process`: the process metrics of the status quo (``process_values``).
"""

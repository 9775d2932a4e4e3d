"""The parts of :mod:`sendalloc.sweep` (import from there).

- :mod:`.grid`: a grid of dotted keys checked and put in canonical form, and the
  key and random stream of each variant.
- :mod:`.result`: ``SweepResult``, its rows, tables, CSV and plots.
"""

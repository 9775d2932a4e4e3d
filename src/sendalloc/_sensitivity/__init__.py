"""The parts of :mod:`sendalloc.sensitivity` (import from there).

- :mod:`.measures`: ``Measure``, what an analysis measures, and the methods' names.
- :mod:`.result`: ``SensitivityResult``, its tables, JSON and tornado plot.
- :mod:`.analysis`: ``Design``, ``Analysis`` and ``analyse``: SALib's sampling and
  estimation over any model of the unit cube.
"""

"""The parts of :mod:`sendalloc.capacity` (import from there).

- :mod:`.flow`: the maximum-flow bound of one instance (``capacity_gap``).
- :mod:`.summary`: the bound over many rounds (``gap_summary``).
- :mod:`.cost`: the places and pounds that close the gap (``places_needed``).
- :mod:`.document`: both as the JSON and CSV of ``sendalloc gap``.
"""

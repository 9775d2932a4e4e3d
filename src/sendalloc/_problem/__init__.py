"""The allocation problem and its answer, behind :mod:`sendalloc.problem` (internal).

One module per job, imported only downwards:

- :mod:`~sendalloc._problem.convert`: converting and checking each input
  (integer arrays, capacities, permutations, labels, preference rows);
- :mod:`~sendalloc._problem.plists`: settings' priority lists (tie classes,
  alignment with the preference slots);
- :mod:`~sendalloc._problem.builders`: the bodies of the three constructors,
  which return the validated fields of a Problem;
- :mod:`~sendalloc._problem.model`: the :class:`~sendalloc.Problem` class and
  :class:`~sendalloc.TieBreak`;
- :mod:`~sendalloc._problem.allocation`: :class:`~sendalloc.Allocation` and
  :class:`~sendalloc.Unplaced`.

Users import the public names from :mod:`sendalloc.problem` (or :mod:`sendalloc`).
"""

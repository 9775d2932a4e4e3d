"""The Monte Carlo engine (internal): one runner, one engine per mode, one table.

Modules, each importing only the ones listed before it (and lower layers of
sendalloc: problems, mechanisms, metrics, scenarios):

- ``streams``: the named random streams of a run.
- ``stats``: :class:`Summary` and the interval maths over runs.
- ``calendar``: days, months and term dates of a simulated year.
- ``results``: the result classes (:class:`SimulationResult`,
  :class:`DynamicResult`); they render through :mod:`sendalloc._report`.
- ``policies``: what a run applies to each simulated round (mechanisms, and
  later today's process), behind one protocol.
- ``runner``: input checks, work units, the one executor loop, progress.
- ``annual``: the annual engine.
- ``eventkernel``: the compiled event loop of one year, over one state record.
- ``events``: the events of a year scheduled, the kernel's state laid out, and
  its batches allocated.
- ``year``: :func:`run_year` and one year of a sampled instance.
- ``projection``: years chained, the children still waiting carried over.
- ``timemetrics``: the time metrics of a year, by named per-child columns.
- ``timed``: the in-year and multi-year engines.
- ``modes``: the mode table that :func:`~sendalloc.simulate`,
  :func:`~sendalloc.sweep` and :mod:`~sendalloc.capacity` all use.
- ``store``: the resumable store of a sweep's finished work units.

Nothing here is public API: the front modules (``simulate``, ``dynamic``,
``sweep``, ``report``) re-export what users need.
"""

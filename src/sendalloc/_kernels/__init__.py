"""Compiled building blocks below every other module (internal).

``jit`` holds the lazy numba decorator every kernel uses; ``ranks`` the rank
kernel that :class:`~sendalloc.Allocation` needs. They import nothing else from
sendalloc, so :mod:`sendalloc.problem` and the mechanisms can both import them at
the top without a cycle.
"""

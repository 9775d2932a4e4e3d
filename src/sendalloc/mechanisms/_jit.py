"""Lazy numba compilation for allocation kernels: see :mod:`sendalloc._jit`.

The decorators live one layer down, beside :mod:`sendalloc.problem`, whose
builders compile kernels too; this module keeps the mechanisms' import path.
"""

from __future__ import annotations

from sendalloc._jit import cache_directory, helper, kernel, precompile_tasks

__all__ = ["cache_directory", "helper", "kernel", "precompile_tasks"]

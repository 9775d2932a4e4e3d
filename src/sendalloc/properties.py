"""Verifiers of allocation properties, independent of any mechanism (in progress)."""

from __future__ import annotations

__all__: list[str] = []

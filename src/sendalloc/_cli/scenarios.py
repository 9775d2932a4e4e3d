"""``sendalloc scenarios``: list the preset scenarios."""

from __future__ import annotations

from typing import TextIO

__all__ = ["scenarios_command"]


def scenarios_command(out: TextIO) -> int:
    from sendalloc.scenario import list_scenarios

    presets = list_scenarios()
    width = max((len(k) for k in presets), default=0)
    for name, line in presets.items():
        out.write(f"{name.ljust(width)}  {line}\n")
    return 0

"""The shipped preset scenarios, and loading a scenario by preset name or path.

The presets are the TOML files in ``sendalloc/scenarios/`` (package data, read
with :mod:`importlib.resources`, so they work from a wheel or a zip too).
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from typing import Any

from sendalloc.errors import InvalidScenarioError
from sendalloc.scenario.scenario import Scenario

__all__ = ["list_scenarios", "load_scenario", "preset_dir"]


def preset_dir() -> Any:
    """The directory of the shipped presets, ``sendalloc/scenarios/`` (a resource)."""
    return resources.files("sendalloc").joinpath("scenarios")


def load_scenario(name_or_path: str | os.PathLike[str]) -> Scenario:
    """Load a shipped preset by name, or a scenario TOML file by path.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A preset name from :func:`list_scenarios` (``"county"``,
        ``"london_borough"``, ``"large_county"``) or a path to a ``.toml`` file.

    Returns
    -------
    Scenario

    Raises
    ------
    InvalidScenarioError
        If no such preset or file exists, or the file is invalid.
    TypeError
        If ``name_or_path`` is neither a string nor a path.

    Examples
    --------
    >>> import sendalloc as sa
    >>> sa.load_scenario("london_borough").name
    'london_borough'
    """
    if not isinstance(name_or_path, str | os.PathLike):
        raise TypeError(
            f"load_scenario: name_or_path = {name_or_path!r}: expected a preset name "
            "or a path to a .toml file (str or os.PathLike), got "
            f"{type(name_or_path).__name__}"
        )
    s = os.fspath(name_or_path)
    if not isinstance(s, str):
        raise TypeError(
            f"load_scenario: name_or_path = {name_or_path!r}: expected a str path, "
            f"got {type(s).__name__}"
        )
    if isinstance(name_or_path, os.PathLike) or s.endswith(".toml") or os.sep in s:
        return Scenario.from_toml(s)
    res = preset_dir().joinpath(f"{s}.toml")
    if not res.is_file():
        raise InvalidScenarioError(
            f"unknown scenario {s!r}; presets are "
            f"{', '.join(sorted(list_scenarios()))}, "
            "or give a path to a .toml file"
        )
    with resources.as_file(res) as p:
        return Scenario.from_toml(p)


def list_scenarios() -> dict[str, str]:
    """The shipped presets: name -> one-line description.

    Examples
    --------
    >>> import sendalloc as sa
    >>> sorted(sa.list_scenarios())
    ['county', 'large_county', 'london_borough']
    """
    out: dict[str, str] = {}
    for res in sorted(preset_dir().iterdir(), key=lambda r: r.name):
        if res.name.endswith(".toml"):
            d = tomllib.loads(res.read_text(encoding="utf-8"))
            out[res.name[:-5]] = str(d.get("description", "")).strip().splitlines()[0]
    return out

"""Griffe extension: Sphinx habits in docstrings, read as Sphinx reads them.

``#:`` comments above a constant are its docstring (Sphinx autodoc's habit,
which griffe does not read), so ``MECHANISMS`` or ``METRICS`` is documented on
the site with its comment.

Sphinx cross-reference roles in docstrings become links.

sendalloc's numpydoc docstrings cross-reference the way numpydoc and Sphinx do,
``:func:`allocate```, ``:class:`~sendalloc.SimulationResult```,
``:meth:`Problem.from_arrays```. mkdocstrings does not read these roles, so
without this extension they show as raw text. Each role is resolved the way
Sphinx's Python domain does (the object's own scope, then each enclosing scope,
then the name as an absolute path) against the loaded package:

* found, and documented on the site (every part of its path public, module
  members in ``__all__``): a mkdocstrings cross-reference to the page and
  anchor where it is rendered, ``[`allocate`][sendalloc.mechanisms.allocate]``;
* not found (another package, such as ``numpy.random.Generator``, whose
  inventory an offline build cannot fetch) or not documented: inline code.

A link is made only to something the site renders, so ``mkdocs build --strict``
fails only on a real break.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import griffe

__all__ = ["SphinxRoles", "convert"]

ROLE = re.compile(
    r":(?:py:)?(?:func|class|mod|data|meth|attr|exc|obj|const|type)"
    r":`(?P<body>[^`]+)`"
)
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$")

Aliases = dict[str, list[str]]  # canonical path -> the paths re-exporting it


def _is_documented(collection: Any, path: str) -> bool:
    """Whether the object at ``path`` is rendered on the site.

    It is when every part of its path is public (module members in
    ``__all__``) and it has a docstring (the site does not show undocumented
    objects: a dataclass field described in its class's Attributes section is
    shown there, not on its own).
    """
    parts = path.split(".")
    for i in range(1, len(parts) + 1):
        name = parts[i - 1]
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            return False
        try:
            obj = collection[".".join(parts[:i])]
        except (KeyError, ValueError, griffe.AliasResolutionError):
            return False
        if i > 1 and not obj.is_public:
            return False
    return bool(obj.is_module or obj.has_docstrings)


def _public_path(path: str, collection: Any, aliases: Aliases) -> str | None:
    """A documented path for the object at ``path``, or None.

    Its own, else the nearest enclosing object re-exported under a documented
    name: ``sendalloc._engine.x.Result.plot`` is documented as
    ``sendalloc.simulate.Result.plot`` when ``sendalloc.simulate`` re-exports
    ``Result`` (the top-level package, which has no page, is not used).
    """
    if _is_documented(collection, path):
        return path
    parts = path.split(".")
    for i in range(len(parts), 1, -1):
        for alias in sorted(aliases.get(".".join(parts[:i]), ())):
            candidate = ".".join([alias, *parts[i:]])
            if alias.count(".") > 1 and _is_documented(collection, candidate):
                return candidate
    return None


def _lookup(
    collection: Any, scope: griffe.Object, target: str, aliases: Aliases
) -> str | None:
    """The path to link ``target`` to, seen from ``scope``, or None."""
    target = target.lstrip(".").removesuffix("()")
    scopes: list[str] = []
    obj: griffe.Object | None = scope
    while obj is not None:
        scopes.append(obj.path)
        obj = obj.parent
    for prefix in [*scopes, ""]:
        path = f"{prefix}.{target}" if prefix else target
        try:
            found = collection[path]
        except (KeyError, ValueError, griffe.AliasResolutionError):
            continue
        try:
            canonical = str(found.final_target.path if found.is_alias else found.path)
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            return None  # re-exported from another package
        # An undocumented member (a dataclass field) links to its class, whose
        # Attributes section describes it.
        while canonical.count(".") > 1:
            public = _public_path(canonical, collection, aliases)
            if public:
                return public
            owner = collection[canonical.rsplit(".", 1)[0]]
            if owner.is_module:
                break
            canonical = str(owner.path)
        return None
    return None


def convert(
    text: str, scope: griffe.Object, collection: Any, aliases: Aliases | None = None
) -> str:
    """Replace every Sphinx role in ``text`` by a link or inline code."""

    def replace(match: re.Match[str]) -> str:
        body = match["body"].strip()
        explicit = EXPLICIT.match(body)
        if explicit:
            shown, target = explicit["text"], explicit["target"]
        else:
            target = body.lstrip("~!")
            shown = target.rsplit(".", 1)[-1] if body.startswith("~") else target
        if body.startswith("!"):
            return f"`{shown}`"
        path = _lookup(collection, scope, target.lstrip("~"), aliases or {})
        return f"[`{shown}`][{path}]" if path else f"`{shown}`"

    return ROLE.sub(replace, text)


def _walk(obj: griffe.Object) -> Iterator[griffe.Object]:
    yield obj
    for member in obj.members.values():
        if isinstance(member, griffe.Object):  # aliases are walked where defined
            yield from _walk(member)


def _comment_docstring(obj: griffe.Object) -> None:
    """Give ``obj`` the ``#:`` comment above it as its docstring, if it has none."""
    if obj.docstring is not None or not obj.is_attribute or obj.lineno is None:
        return
    try:
        lines = obj.lines_collection[obj.filepath]  # type: ignore[index]
    except KeyError:
        return
    comment: list[str] = []
    i = obj.lineno - 2
    while i >= 0 and lines[i].lstrip().startswith("#:"):
        comment.insert(0, lines[i].lstrip()[2:].strip())
        i -= 1
    if comment:
        module = obj.module.docstring
        obj.docstring = griffe.Docstring(
            "\n".join(comment),
            lineno=i + 2,
            parent=obj,
            parser=module.parser if module else None,
            parser_options=module.parser_options if module else None,
        )


class SphinxRoles(griffe.Extension):
    """Read ``#:`` comments and Sphinx roles once a package is loaded."""

    def on_package(self, *, pkg: griffe.Module, loader: Any, **kwargs: Any) -> None:
        """Rewrite the docstrings of every object in the package."""
        objects = list(_walk(pkg))
        aliases: Aliases = {}
        for obj in objects:
            _comment_docstring(obj)
            for member in obj.members.values():
                if isinstance(member, griffe.Alias):
                    try:
                        target = str(member.final_target.path)
                    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                        continue
                    aliases.setdefault(target, []).append(str(member.path))
        for obj in objects:
            if obj.docstring is not None:
                obj.docstring.value = convert(
                    obj.docstring.value, obj, loader.modules_collection, aliases
                )

    # The same hook under its griffe 1.x name.
    on_package_loaded = on_package

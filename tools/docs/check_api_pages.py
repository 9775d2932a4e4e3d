"""MkDocs hook: an API page that still shows a raw Sphinx role fails the build.

``griffe_sphinx_roles.py`` turns ``:func:`name``` into a link or code; if a role
survives to the rendered page (a role the extension does not know, or the
extension not loaded), the docstring renders badly, and ``--strict`` should say
so rather than publish it.
"""

from __future__ import annotations

import re
from typing import Any

from mkdocs.exceptions import PluginError

__all__ = ["on_page_content"]

# Markdown has turned the role's backticks into <code>, so once the tags are
# stripped a leftover role reads ":func:name".
RAW_ROLE = re.compile(
    r":(?:py:)?(?:func|class|mod|data|meth|attr|exc|obj|const|type):[\w.~`]+"
)


def on_page_content(html: str, page: Any, **kwargs: Any) -> str:
    """Refuse an API page whose rendered text still holds a Sphinx role."""
    if page.file.src_uri.startswith("api/"):
        left = sorted(set(RAW_ROLE.findall(re.sub(r"<[^>]+>", "", html))))
        if left:
            raise PluginError(f"{page.file.src_uri}: unconverted roles {left}")
    return html

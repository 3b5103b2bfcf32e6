"""The API page's sections, generated from ``coursekit.__all__``: the one list of the public API.

In a page, the line

    % coursekit-api

(a MyST comment, so the page still builds without this extension) is replaced,
before the page is parsed, by one section per module of coursekit, in the order
the package lists them, each documenting that module's ``__all__`` with
autodoc. A name added to a module's ``__all__`` is on the page at the next
build, with no other edit.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

MARKER = "% coursekit-api"
PACKAGE = "coursekit"


def api_sections(package: ModuleType) -> list[tuple[str, list[str]]]:
    """(module name, its ``__all__``) for every module behind ``package.__all__``, in order.

    A package that re-exports its own modules (``coursekit.data``) names them in
    ``_API_MODULES``; it is replaced by them, so that each name is documented
    once, where it is defined.
    """
    modules = getattr(package, "_API_MODULES", None)
    if modules is None:
        return [(package.__name__, list(package.__all__))]
    return [section for module in modules for section in api_sections(module)]


def api_markdown(package: ModuleType) -> str:
    """The MyST source of the generated sections."""
    blocks = []
    for module, names in api_sections(package):
        blocks.append(f"## `{module}`\n\n```{{eval-rst}}\n.. automodule:: {module}\n   :members: {', '.join(names)}\n```\n")
    return "\n".join(blocks)


def _replace_marker(app, docname: str, source: list[str]) -> None:
    if MARKER not in source[0]:
        return
    lines = source[0].splitlines(keepends=True)
    generated = api_markdown(importlib.import_module(PACKAGE))
    source[0] = "".join(generated if line.strip() == MARKER else line for line in lines)


def _always_reread(app, env, added, changed, removed) -> list[str]:
    # Sphinx re-reads a page only when its file changed, but this one follows coursekit's code.
    pages = (Path(env.doc2path(docname)) for docname in env.found_docs)
    return [env.path2doc(str(page)) for page in pages if page.suffix == ".md" and MARKER in page.read_text(encoding="utf-8")]


def setup(app):
    app.connect("source-read", _replace_marker)
    app.connect("env-get-outdated", _always_reread)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

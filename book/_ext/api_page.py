"""The API page's sections, generated from ``coursekit.__all__``: the one list of the public API.

In a page, the line

    % coursekit-api

(a MyST comment, so the page still builds without this extension) is replaced,
before the page is parsed, by one section per module of coursekit, in the order
the package lists them, each documenting that module's ``__all__`` with
autodoc. A name added to a module's ``__all__`` is on the page at the next
build, with no other edit.

    % coursekit-api coursekit.d2l

does the same for another package, one level of heading down: the names of its
``__all__`` that it defines itself, grouped by the module that defines each
(names it only re-exports, from PyTorch or from coursekit proper, are left to
their own documentation).
"""

from __future__ import annotations

import importlib
import inspect
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


def defined_sections(package: ModuleType) -> list[tuple[str, list[str]]]:
    """(module, names) for the names of ``package.__all__`` that the package's own modules define."""
    sections: dict[str, list[str]] = {}
    for name in package.__all__:
        obj = getattr(package, name)
        home = getattr(obj, "__module__", None)
        if inspect.ismodule(obj) or not isinstance(home, str):
            continue
        if home == package.__name__ or home.startswith(package.__name__ + "."):
            sections.setdefault(home, []).append(name)
    return list(sections.items())


def api_markdown(package: ModuleType, level: int = 2) -> str:
    """The MyST source of the generated sections."""
    sections = api_sections(package) if level == 2 else defined_sections(package)
    blocks = []
    for module, names in sections:
        blocks.append(f"{'#' * level} `{module}`\n\n```{{eval-rst}}\n.. automodule:: {module}\n   :members: {', '.join(names)}\n```\n")
    return "\n".join(blocks)


def _expand(line: str) -> str:
    words = line.split()
    if words[:2] != MARKER.split():
        return line
    if len(words) == 2:
        return api_markdown(importlib.import_module(PACKAGE))
    return api_markdown(importlib.import_module(words[2]), level=3)


def _replace_marker(app, docname: str, source: list[str]) -> None:
    if MARKER not in source[0]:
        return
    source[0] = "".join(_expand(line) for line in source[0].splitlines(keepends=True))


def _always_reread(app, env, added, changed, removed) -> list[str]:
    # Sphinx re-reads a page only when its file changed, but this one follows coursekit's code.
    pages = (Path(env.doc2path(docname)) for docname in env.found_docs)
    return [env.path2doc(str(page)) for page in pages if page.suffix == ".md" and MARKER in page.read_text(encoding="utf-8")]


def setup(app):
    app.connect("source-read", _replace_marker)
    app.connect("env-get-outdated", _always_reread)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

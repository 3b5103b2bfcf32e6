"""Drop repeated <script> tags from every page (a Sphinx 7.4 bug that Jupyter Book 1 pins).

An inline script added by an extension after the builder starts (sphinx-thebe's
`const THEBE_JS_URL = ...`) is registered with the file name None and registered
again at write time with the file name ''. Sphinx then sees two different
scripts and writes both, and the browser stops with "Identifier 'THEBE_JS_URL'
has already been declared" on every page.
"""

from __future__ import annotations


def _key(script) -> tuple:
    attributes = getattr(script, "attributes", {})
    return (getattr(script, "filename", str(script)) or "", tuple(sorted(attributes.items())))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # the builder restores its own list after each page


def setup(app):
    app.connect("html-page-context", dedupe_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

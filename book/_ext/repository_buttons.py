"""The repository, issue and launch (Binder, Colab) buttons follow ``repository.url`` in _config.yml.

They are all configured in _config.yml. Each needs the repository's URL, so
while ``repository.url`` is empty this extension turns them off: set the URL
and they appear, with no other edit. (Jupyter Book 1 refuses the ``html:``
button switches without a URL, which is why they are set in
``sphinx.config.html_theme_options`` instead.)
"""

from __future__ import annotations

from typing import Any

NEED_A_REPOSITORY = ("use_repository_button", "use_issues_button", "use_edit_page_button", "use_source_button")


def buttons_for(theme_options: dict[str, Any]) -> dict[str, Any]:
    """``theme_options`` with every button that links to the repository off if it has no URL."""
    if (theme_options.get("repository_url") or "").strip():
        return theme_options
    options = {key: value for key, value in theme_options.items() if key != "launch_buttons"}
    options.update(dict.fromkeys(NEED_A_REPOSITORY, False))
    return options


def _apply(app, config) -> None:
    config.html_theme_options = buttons_for(config.html_theme_options or {})


def setup(app):
    app.connect("config-inited", _apply)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

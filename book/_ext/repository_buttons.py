"""The repository, issue and launch (Binder, Colab) buttons, and the site's address.

The buttons are configured in _config.yml; each needs the repository's URL
(``repository.url``), and the notebooks the download button serves need the
site's address (``html.baseurl``, book/_ext/coursekit_wheel.py). Both are empty
in _config.yml, so that a fork or a clone builds without editing it:

- where the build runs on GitHub Actions, the repository is the one Actions
  names (``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``), and the site is its
  GitHub Pages address (``https://OWNER.github.io/REPO/``), which is where
  .github/workflows/book.yml publishes it; a value in _config.yml wins (a
  custom domain, another host);
- where neither is known (a local build), every button that links to the
  repository is off. (Jupyter Book 1 refuses the ``html:`` button switches
  without a URL, which is why they are set in ``sphinx.config.html_theme_options``.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

NEED_A_REPOSITORY = ("use_repository_button", "use_issues_button", "use_edit_page_button", "use_source_button")


def repository_url(env: Mapping[str, str]) -> str:
    """The repository's URL from GitHub Actions' variables in ``env``; "" outside Actions."""
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    if not repository:
        return ""
    return env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/") + "/" + repository


def pages_url(env: Mapping[str, str]) -> str:
    """The GitHub Pages address of the repository Actions names in ``env``; "" outside Actions or GitHub.com."""
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    if not repository or env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/") != "https://github.com":
        return ""
    owner, name = repository.split("/", 1)
    site = f"https://{owner.lower()}.github.io/"
    # A repository named OWNER.github.io is published at the root of that address.
    return site if name.lower() == f"{owner.lower()}.github.io" else f"{site}{name}/"


def buttons_for(theme_options: dict[str, Any]) -> dict[str, Any]:
    """``theme_options`` with every button that links to the repository off if it has no URL."""
    if (theme_options.get("repository_url") or "").strip():
        return theme_options
    options = {key: value for key, value in theme_options.items() if key != "launch_buttons"}
    options.update(dict.fromkeys(NEED_A_REPOSITORY, False))
    return options


def _apply(app, config) -> None:
    options = dict(config.html_theme_options or {})
    if not (options.get("repository_url") or "").strip():
        options["repository_url"] = repository_url(os.environ)
    config.html_theme_options = buttons_for(options)
    if not (config.html_baseurl or "").strip():
        config.html_baseurl = pages_url(os.environ)


def setup(app):
    app.connect("config-inited", _apply)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""book/_ext/repository_buttons.py and _config.yml: the buttons that link to the repository follow its URL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def buttons(load_source):
    return load_source("book/_ext/repository_buttons.py")


def _theme_options(url: str) -> dict:
    """The theme options Jupyter Book derives from _config.yml (launch buttons, repository), merged with the file's own."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    options = dict(config["sphinx"]["config"]["html_theme_options"])
    return {**options, "repository_url": url, "launch_buttons": dict(config["launch_buttons"])}


def test_without_a_url_every_repository_button_is_off(buttons):
    options = buttons.buttons_for(_theme_options(""))
    assert "launch_buttons" not in options
    assert all(options[key] is False for key in buttons.NEED_A_REPOSITORY)
    assert options["use_download_button"] is True, "the buttons that need no repository stay"


def test_with_a_url_the_configured_buttons_are_on(buttons):
    options = buttons.buttons_for(_theme_options("https://github.com/org/course"))
    assert options["use_repository_button"] is True and options["use_issues_button"] is True
    assert options["launch_buttons"]["binderhub_url"] == "https://mybinder.org"


def test_the_config_is_the_only_source(buttons):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    # Jupyter Book 1 refuses html.use_repository_button (and the like) without a URL.
    assert not set(config.get("html", {})) & set(buttons.NEED_A_REPOSITORY)
    assert config["sphinx"]["local_extensions"]["repository_buttons"] == "book/_ext"

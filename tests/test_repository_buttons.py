"""book/_ext/repository_buttons.py and _config.yml: the buttons that link to the repository follow its URL."""

from __future__ import annotations

import types
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


ACTIONS = {"GITHUB_REPOSITORY": "Course-Org/classification", "GITHUB_SERVER_URL": "https://github.com"}


def test_on_github_actions_the_addresses_come_from_the_repository_it_names(buttons):
    assert buttons.repository_url(ACTIONS) == "https://github.com/Course-Org/classification"
    # GitHub Pages lowercases the owner; the repository's name keeps its case in the path.
    assert buttons.pages_url(ACTIONS) == "https://course-org.github.io/classification/"
    assert buttons.pages_url({**ACTIONS, "GITHUB_REPOSITORY": "Course-Org/course-org.github.io"}) == "https://course-org.github.io/"


def test_outside_actions_or_github_com_nothing_is_guessed(buttons):
    assert buttons.repository_url({}) == "" and buttons.pages_url({}) == ""
    enterprise = {**ACTIONS, "GITHUB_SERVER_URL": "https://git.example.edu"}
    assert buttons.repository_url(enterprise) == "https://git.example.edu/Course-Org/classification"
    assert buttons.pages_url(enterprise) == "", "an enterprise server's Pages address cannot be derived"


def _apply(buttons, monkeypatch, env: dict, url: str = "", baseurl: str = ""):
    for key in ACTIONS:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = types.SimpleNamespace(html_theme_options=_theme_options(url), html_baseurl=baseurl)
    buttons._apply(None, config)
    return config


def test_the_build_on_actions_gets_the_colab_button_and_the_site_address(buttons, monkeypatch):
    config = _apply(buttons, monkeypatch, ACTIONS)
    assert config.html_theme_options["repository_url"] == "https://github.com/Course-Org/classification"
    assert config.html_theme_options["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert config.html_baseurl == "https://course-org.github.io/classification/"


def test_the_config_wins_and_a_local_build_has_no_repository_buttons(buttons, monkeypatch):
    config = _apply(buttons, monkeypatch, ACTIONS, url="https://example.org/course", baseurl="https://course.example.org/")
    assert config.html_theme_options["repository_url"] == "https://example.org/course"
    assert config.html_baseurl == "https://course.example.org/"
    local = _apply(buttons, monkeypatch, {})
    assert "launch_buttons" not in local.html_theme_options and local.html_baseurl == ""

"""book/_ext/api_page.py: the API page's sections, each name under its own module.

That the built page documents every name is checked on the page (tests/book/test_api_entries.py).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import coursekit

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def api_page(load_source):
    return load_source("book/_ext/api_page.py")


def test_no_two_modules_export_the_same_name():
    assert len(set(coursekit.__all__)) == len(coursekit.__all__), sorted({n for n in coursekit.__all__ if coursekit.__all__.count(n) > 1})


def test_each_name_is_documented_in_the_module_that_defines_it(api_page):
    for module_name, names in api_page.api_sections(coursekit):
        module = importlib.import_module(module_name)
        assert not hasattr(module, "__path__"), f"{module_name} is a package: document its modules instead"
        for name in names:
            obj = getattr(module, name)
            defined_in = getattr(obj, "__module__", module_name)
            # Constants (MNIST_MEAN, DATASETS) have no __module__; classes and functions do.
            assert defined_in == module_name or not callable(obj), f"{module_name}.{name} comes from {defined_in}"


def test_the_api_page_holds_the_marker_and_it_expands_to_autodoc(api_page):
    source = (ROOT / "book" / "api.md").read_text()
    assert api_page.MARKER in source.splitlines()
    generated = api_page.api_markdown(coursekit)
    for module_name, names in api_page.api_sections(coursekit):
        assert f".. automodule:: {module_name}\n   :members: {', '.join(names)}\n" in generated

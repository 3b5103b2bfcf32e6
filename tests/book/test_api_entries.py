"""The built API page documents every public name of coursekit and coursekit.d2l.

Autodoc leaves out a member it cannot document (a constant without a docstring, a
name it cannot import) without failing the build: the page is read here.
"""

from __future__ import annotations

import inspect
import re

import pytest

import coursekit
import coursekit.d2l
from tools.serve_book import HTML

PAGE = HTML / "book" / "api.html"


@pytest.mark.parametrize("package", [coursekit, coursekit.d2l], ids=lambda p: p.__name__)
def test_every_public_name_has_an_entry(package):
    documented = {anchor.rsplit(".", 1)[1] for anchor in re.findall(r'<dt [^>]*id="(coursekit\.[\w.]+)"', PAGE.read_text())}
    # Constants have no __module__ and are coursekit's; re-exported modules and functions (plt, torch's) are not.
    objects = {n: getattr(package, n) for n in package.__all__}
    defined_here = [n for n, obj in objects.items() if not inspect.ismodule(obj) and getattr(obj, "__module__", "coursekit").startswith("coursekit")]
    missing = [name for name in defined_here if name not in documented]
    assert not missing, f"{PAGE.name} has no entry for {missing}"

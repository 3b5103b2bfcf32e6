"""book/_ext/mathml.py: the book's TeX rendered as MathML at build time, by Temml in Node.js."""

from __future__ import annotations

import io
import shutil
import sys

import pytest
from docutils import nodes

from tests.conftest import REPO


@pytest.fixture
def mathml(load_source):
    # What the book build does before Sphinx runs: install tools/mathml's packages when missing.
    load_source("tools/build_book.py").install_math_packages()
    module = load_source("book/_ext/mathml.py")
    yield module
    module._stop_renderer(None, None)


def test_a_formula_becomes_mathml(mathml):
    inline = mathml.render(r"\hat{y} = \sigma(\mathbf{x}\mathbf{w} + b)", display=False)
    assert inline.startswith("<math>") and "<mi>σ</mi>" in inline and "𝐱" in inline, inline
    display = mathml.render(r"\frac{\partial \ell}{\partial \hat y}", display=True)
    assert display.startswith('<math display="block"') and "<mfrac>" in display and "∂" in display, display


def test_invalid_tex_is_an_error_that_quotes_it(mathml):
    with pytest.raises(mathml.TeXError, match=r"Unexpected end of input.*\\frac\{1\}\{"):
        mathml.render(r"\frac{1}{", display=False)
    with pytest.raises(mathml.TeXError, match=r"\\nosuchmacro"):
        mathml.render(r"\nosuchmacro{x}", display=True)
    assert mathml.render("x", display=False).startswith("<math>"), "the renderer goes on after an error"


def _block(tex: str, nowrap: bool = False) -> nodes.math_block:
    return nodes.math_block(tex, tex, nowrap=nowrap, number=None)


def test_display_formulas_are_wrapped_as_sphinx_wraps_them_for_mathjax(mathml):
    assert mathml.display_tex(_block("a = b")) == "a = b"
    assert mathml.display_tex(_block(r"a &= b \\ &= c")) == r"\begin{split}a &= b \\ &= c\end{split}"
    assert mathml.display_tex(_block("a = b\n\nc = d")) == r"\begin{aligned}a = b \\ c = d\end{aligned}"
    assert mathml.display_tex(_block(r"\begin{align}a\\b\end{align}", nowrap=True)) == r"\begin{align}a\\b\end{align}"


def test_a_sphinx_page_gets_mathml_the_stylesheets_and_a_warning_for_bad_tex(mathml, tmp_path, monkeypatch):
    from sphinx.application import Sphinx

    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(REPO / 'book' / '_ext')!r})\nextensions = ['mathml']\nhtml_math_renderer = 'mathml'\n"
    )
    (source / "index.rst").write_text(
        "Title\n=====\n\nInline :math:`\\alpha^2` and\n\n.. math::\n   :label: sum\n\n   \\sum_i x_i\n\nBad :math:`\\frac{1}{`.\n"
    )
    monkeypatch.setattr(sys, "path", list(sys.path))  # conf.py adds book/_ext
    warnings = io.StringIO()
    app = Sphinx(source, source, tmp_path / "html", tmp_path / "doctrees", "html", status=None, warning=warnings, freshenv=True)
    app.build()
    sys.modules.pop("mathml", None)

    page = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert '<span class="math notranslate nohighlight"><math><msup><mi>α</mi>' in page
    assert '<div class="math notranslate nohighlight" id="equation-sum">' in page and '<span class="eqno">(1)' in page
    assert '<code class="math-error">\\frac{1}{</code>' in page
    assert "mathjax" not in page.lower()
    assert "_static/mathml/Temml-Local.css" in page and "_static/mathml/mathml.css" in page
    assert "index.rst:" in warnings.getvalue() and "TeX that cannot be rendered as MathML" in warnings.getvalue()
    assert sorted(p.name for p in (tmp_path / "html" / "_static" / "mathml").iterdir()) == sorted(mathml.ASSETS)


def test_without_node_the_build_says_what_to_install(load_source, monkeypatch):
    mathml = load_source("book/_ext/mathml.py")  # not the fixture: it installs with npm
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="install Node.js 18 or later"):
        mathml.Temml()

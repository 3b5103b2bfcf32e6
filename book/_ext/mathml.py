"""Math rendered at build time as MathML, so that no page runs MathJax.

A chapter has 120 to 390 formulas. Typeset in the browser by MathJax they cost a
phone about 700 ms of blocked main thread (Lighthouse, mobile) and 264 kB of
script. Rendered here instead, by Temml (tools/mathml, run in Node.js), each
formula is MathML, which every current browser lays out natively: no script, and
a screen reader reads the formula's structure.

The browser draws MathML with a math font (one with an OpenType MATH table, for
stretchy brackets, radicals and sub- and superscript positions). Readers' devices
differ in which they have, so the book ships one, STIX Two Math: fast_pages cuts
it down to the characters the pages use (35 kB).

Building the book therefore needs Node.js 18+ and ``npm ci --prefix tools/mathml``
(tools/build_book.py runs it when the packages are missing).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from docutils import nodes
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tools" / "mathml"
RENDERER = PACKAGE / "render.js"
MODULES = PACKAGE / "node_modules"
# What the pages load, copied into _static/mathml/: Temml's stylesheet for its MathML (with
# its own small font), the math font, and the book's stylesheet for both (beside this file).
ASSETS = {
    "mathml.css": Path(__file__).with_name("mathml.css"),
    "Temml-Local.css": MODULES / "temml" / "dist" / "Temml-Local.css",
    "Temml.woff2": MODULES / "temml" / "dist" / "Temml.woff2",
    "STIXTwoMath.woff2": MODULES / "@fontsource" / "stix-two-math" / "files" / "stix-two-math-latin-400-normal.woff2",
}
STATIC = Path("_static") / "mathml"

logger = logging.getLogger(__name__)


class TeXError(ValueError):
    """TeX that Temml cannot render."""


class Temml:
    """One Node.js process that renders TeX as MathML (tools/mathml/render.js), a formula a line."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError(
                "the book's math is rendered at build time with Node.js, which is not installed: "
                "install Node.js 18 or later (https://nodejs.org), then run `npm ci --prefix tools/mathml`"
            )
        if not (MODULES / "temml").is_dir():
            raise RuntimeError(f"Temml is missing from {MODULES}: run `npm ci --prefix tools/mathml`")
        # stderr is the build's: a message from Node (a crash) shows where Sphinx's do.
        self.process = subprocess.Popen([node, str(RENDERER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)

    def render(self, tex: str, display: bool) -> str:
        """The MathML of one formula; raises TeXError if it is not valid TeX."""
        self.process.stdin.write(json.dumps({"tex": tex, "display": display}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the MathML renderer ({RENDERER}) stopped (exit status {self.process.poll()}); see its messages above")
        answer = json.loads(line)
        if "error" in answer:
            raise TeXError(answer["error"].strip())
        return answer["mathml"]

    def close(self) -> None:
        self.process.stdin.close()  # render.js ends at the end of its input
        self.process.wait(timeout=30)
        self.process.stdout.close()


_renderer: Temml | None = None


def render(tex: str, display: bool) -> str:
    """The MathML of one formula, from the build's one renderer process (started on first use)."""
    global _renderer
    if _renderer is None:
        _renderer = Temml()
    return _renderer.render(tex, display)


def display_tex(node: nodes.math_block) -> str:
    """The TeX of a display formula as Sphinx's MathJax output writes it: parts separated by a
    blank line are aligned one below another, and a part with ``\\\\`` is a ``split``."""
    if node["nowrap"]:
        return node.astext()
    parts = [part for part in node.astext().split("\n\n") if part.strip()]
    parts = [rf"\begin{{split}}{part}\end{{split}}" if r"\\" in part else part for part in parts]
    return r"\begin{aligned}" + r" \\ ".join(parts) + r"\end{aligned}" if len(parts) > 1 else parts[0]


def _mathml(translator, node: nodes.Node, tex: str, display: bool) -> str:
    try:
        return render(tex, display)
    except TeXError as error:
        logger.warning("TeX that cannot be rendered as MathML: %s", error, location=node)
        return f'<code class="math-error">{translator.encode(tex)}</code>'


def visit_math(translator, node: nodes.math) -> None:
    translator.body.append(translator.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    translator.body.append(_mathml(translator, node, node.astext(), display=False))
    translator.body.append("</span>")
    raise nodes.SkipNode


def visit_displaymath(translator, node: nodes.math_block) -> None:
    translator.body.append(translator.starttag(node, "div", CLASS="math notranslate nohighlight"))
    # MyST numbers its unstarred amsmath environments, which are nowrap blocks.
    if node["number"] and (not node["nowrap"] or "amsmath" in node["classes"]):
        translator.body.append(f'<span class="eqno">({get_node_equation_number(translator, node)})')
        translator.add_permalink_ref(node, _("Link to this equation"))
        translator.body.append("</span>")
    translator.body.append(_mathml(translator, node, display_tex(node), display=True))
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def _copy_assets(app) -> None:
    if app.builder.format != "html":
        return
    missing = [str(path) for path in ASSETS.values() if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"the math assets are missing ({', '.join(missing)}): run `npm ci --prefix tools/mathml`")
    target = Path(app.outdir) / STATIC
    target.mkdir(parents=True, exist_ok=True)
    for name, source in ASSETS.items():
        shutil.copyfile(source, target / name)


def _stop_renderer(app, exception) -> None:
    global _renderer
    if _renderer is not None:
        _renderer.close()
        _renderer = None


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_displaymath, None))
    # Before the pages are written, so that Sphinx stamps the stylesheet's link with its checksum.
    app.connect("builder-inited", _copy_assets)
    app.add_css_file("mathml/Temml-Local.css")
    app.add_css_file("mathml/mathml.css")
    app.connect("build-finished", _stop_renderer)
    # One renderer process per build: forked writers would share its pipes.
    return {"parallel_read_safe": True, "parallel_write_safe": False}

"""Lighter, faster pages: a patch over what pydata-sphinx-theme 0.17 writes into every page.

Measured with Lighthouse (mobile) on chapter 3 before this patch: 1.44 MB
transferred, performance 35. What it changes, after the HTML is written:

- **Icons.** The theme loads Font Awesome twice: its stylesheet already draws the
  icons with a web font, and ``fontawesome.js`` (543 kB gzipped, then a scan of the
  whole page on the main thread) draws them again as SVG. The script is dropped,
  and the solid web font is cut down to the icons the pages use (156 kB -> a few kB).
- **Math font.** The STIX Two Math font that book/_ext/mathml.py ships (403 kB) is
  cut down to the characters of the pages' MathML (35 kB); its tables of
  larger brackets and radicals stay.
- **Scripts.** External scripts in ``<head>`` that nothing runs before the page is
  parsed get ``defer``, so the browser paints first. ``documentation_options.js``
  stays blocking: the inline script after it reads what it defines.
- **Stylesheets.** The theme and its extensions link eleven stylesheets (one of them
  through an ``@import``), each a round trip before the first paint. They are
  joined, in their order, into one file per distinct list (``_static/styles/bundle-*.css``).
  The bundle then loses the rules that can match nothing: a selector naming a class that
  no page carries and no script names or builds (most of Bootstrap, and Font Awesome's
  1,900 icons).
  On chapter 5: 95 kB -> 28 kB transferred before the first paint, which Lighthouse's
  simulated slow 4G put at 2.3 s -> 1.7 s.
- **Bibliography.** docutils marks each entry of a citation list
  ``role="doc-biblioentry"``, a role ARIA 1.2 deprecates and that a ``role="list"``
  may not contain (Lighthouse's accessibility score 92): the entries become list items.
- **Images.** Figures below the fold load lazily, and carry their width and height
  so that the page does not jump when they arrive.
- **Colour mode.** With ``default_mode: auto`` (_config.yml) the theme's first script leaves
  ``data-theme="auto"``, and its main script, after the page is parsed, sets the reader's
  light or dark: a second restyle of every element of a long page (Lighthouse: total
  blocking time 15 ms -> about 500 ms on chapter 4). ``RESOLVE_MODE``, an inline script in
  ``<head>``, sets it before the body is parsed; the theme then sets the same value.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import tinycss2

FONT_AWESOME_SCRIPT = "_static/scripts/fontawesome.js"
KEEP_BLOCKING = ("documentation_options.js",)  # the inline script after it reads what it defines
ICON_CLASS = re.compile(r"\bfa-[a-z0-9-]+")
SOLID_FONT = Path("_static/vendor/fontawesome/webfonts/fa-solid-900.woff2")
MATH_FONT = Path("_static/mathml/STIXTwoMath.woff2")  # book/_ext/mathml.py copies it there
# A one-letter <mi> is drawn in italic: the browser maps it to Unicode's mathematical italic
# letters (Latin A-z, with h at U+210E: U+1D455 is unassigned; dotless i and j; Greek),
# which the text does not contain.
MATH_ITALIC = ({*range(0x1D434, 0x1D468)} - {0x1D455}) | {0x210E, 0x1D6A4, 0x1D6A5, *range(0x1D6E2, 0x1D71C)}
THEME_CSS = Path("_static/styles/pydata-sphinx-theme.css")
CSS_IMPORT = re.compile(r'@import\s+(?:url\()?["\']?(?P<path>[^"\')]+\.css)["\']?\)?\s*;')
CSS_URL = re.compile(r'url\((?P<quote>["\']?)(?P<url>[^"\')]+)(?P=quote)\)')
SOURCE_MAP = re.compile(r"/\*#\s*sourceMappingURL=[^*]*\*/")
BUNDLES = Path("_static/styles")
# A bundle's first line names its stylesheets (relative to the site), so that each build
# can join and trim it again for the classes that the pages then carry.
BUNDLE_HEADER = ("/* bundle of: ", " */\n")
BUNDLE_NAME = re.compile(r"bundle-[0-9a-f]{16}\.css")
SCRIPT_WORD = re.compile(r"[A-Za-z_][\w-]*")
# The start of a class name a script builds: `bs-${name}-auto` (Bootstrap's tooltip placements), "toggle-" + x.
SCRIPT_PREFIX = re.compile(r"""[`'"]([A-Za-z_][\w-]*-)(?:\$\{|[`'"]\s*\+)""")
RESOLVE_MODE = (
    'if (document.documentElement.dataset.theme === "auto") document.documentElement.dataset.theme = '
    'matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";'
)


class Tag:
    """A start tag of a page: its name, attributes and where its text lies in the page (a <script>'s
    ``element_end``: after its end tag)."""

    def __init__(self, name: str, attrs: dict[str, str | None], start: int, end: int) -> None:
        self.name, self.attrs, self.start, self.end = name, attrs, start, end
        self.element_end: int | None = None


class _Scanner(HTMLParser):
    """Reads a page once with Python's HTML parser: its start tags, where <head> ends, the text of its MathML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html, self.tags, self.math, self.head_end = html, [], [], len(html)
        self.classes: set[str] = set()
        self.script_text: list[str] = []
        self._lines = [0] + [m.end() for m in re.finditer("\n", html)]
        self._in_math, self._script = 0, None
        self.feed(html)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def handle_starttag(self, name: str, attrs: list) -> None:
        start = self._offset()
        tag = Tag(name, dict(attrs), start, start + len(self.get_starttag_text()))
        self.tags.append(tag)
        self.classes.update((tag.attrs.get("class") or "").split())
        self._in_math += name == "math"
        self._script = tag if name == "script" else None

    def handle_startendtag(self, name: str, attrs: list) -> None:
        self.handle_starttag(name, attrs)

    def handle_endtag(self, name: str) -> None:
        end = self.html.index(">", self._offset()) + 1
        if name == "script" and self._script is not None:
            self._script.element_end = end
        elif name == "head":
            self.head_end = self._offset()
        self._in_math -= name == "math" and self._in_math > 0

    def handle_data(self, data: str) -> None:
        if self._in_math:
            self.math.append(data)
        elif self._script is not None and self._script.element_end is None:
            self.script_text.append(data)


def _splice(html: str, edits: list[tuple[int, int, str]]) -> str:
    """``html`` with each (start, end) span replaced by its text; the spans do not overlap."""
    for start, end, text in sorted(edits, reverse=True):
        html = html[:start] + text + html[end:]
    return html


def _line_of(html: str, start: int, end: int) -> tuple[int, int]:
    """The span widened to its whole line (indentation and newline) when nothing else is on that line."""
    line_start = html.rfind("\n", 0, start) + 1
    line_end = html.find("\n", end)
    line_end = len(html) if line_end < 0 else line_end + 1
    if html[line_start:start].strip() or html[end:line_end].strip():
        return start, end
    return line_start, line_end


def _script_edits(html: str, page: _Scanner) -> list[tuple[int, int, str]]:
    """Drop fontawesome.js, and defer the blocking scripts that inline code does not need."""
    edits = []
    for tag in page.tags:
        source = tag.attrs.get("src") or ""
        if tag.name != "script" or not source:
            continue
        if FONT_AWESOME_SCRIPT in source:
            edits.append((*_line_of(html, tag.start, tag.element_end or tag.end), ""))
        elif not {"defer", "async", "type"} & tag.attrs.keys() and not source.split("?")[0].endswith(KEEP_BLOCKING):
            edits.append((tag.start, tag.start + len("<script"), "<script defer"))
    return edits


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height in CSS pixels of a PNG or an SVG written by matplotlib, or None."""
    data = path.read_bytes()[:4096]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return struct.unpack(">II", data[16:24])
    if path.suffix == ".svg":
        size = re.search(rb'<svg[^>]*\bwidth="([\d.]+)(pt|px)?"[^>]*\bheight="([\d.]+)(pt|px)?"', data)
        if size:
            scale = 4 / 3 if size.group(2) == b"pt" else 1  # 1 pt = 4/3 CSS px
            return round(float(size.group(1)) * scale), round(float(size.group(3)) * scale)
    return None


def _image_edits(html: str, page: _Scanner, page_dir: Path) -> list[tuple[int, int, str]]:
    """Add loading="lazy", decoding="async" and the intrinsic size to every local image."""
    edits = []
    for tag in page.tags:
        if tag.name != "img" or "loading" in tag.attrs:
            continue
        attributes = html[tag.start + len("<img") : tag.end].rstrip(">").rstrip(" /")
        extra = ' loading="lazy" decoding="async"'
        source = tag.attrs.get("src") or ""
        if source and "://" not in source and "width" not in tag.attrs:
            path = (page_dir / source).resolve()
            size = image_size(path) if path.is_file() else None
            if size:
                extra += f' width="{size[0]}" height="{size[1]}"'
        edits.append((tag.start, tag.end, f"<img{attributes}{extra} />"))
    return edits


def _citation_edits(html: str, page: _Scanner) -> list[tuple[int, int, str]]:
    """The entries of a bibliography's role="list" as role="listitem" (not the deprecated doc-biblioentry)."""
    return [
        (tag.start, tag.end, html[tag.start : tag.end].replace('role="doc-biblioentry"', 'role="listitem"'))
        for tag in page.tags
        if tag.attrs.get("role") == "doc-biblioentry"
    ]


def joined_css(css: Path, bundle_dir: Path) -> str:
    """The text of a stylesheet with its @imports inlined and its relative url()s rewritten for bundle_dir."""
    text = css.read_text(encoding="utf-8").replace('@charset "UTF-8";', "")
    text = CSS_IMPORT.sub(lambda m: joined_css((css.parent / m.group("path")).resolve(), bundle_dir), text)

    def rebase(match: re.Match) -> str:
        url = match.group("url")
        if url.startswith(("data:", "#", "/")) or "://" in url:
            return match.group(0)
        path, _, rest = url.partition("?")
        target = os.path.relpath((css.parent / path).resolve(), bundle_dir).replace(os.sep, "/")
        return f"url({match.group('quote')}{target}{'?' + rest if rest else ''}{match.group('quote')})"

    return SOURCE_MAP.sub("", CSS_URL.sub(rebase, text))


def joined(sources: list[str], outdir: Path, bundle_dir: Path) -> str:
    """The stylesheets at ``sources`` (relative to ``outdir``), joined in their order for a bundle in ``bundle_dir``."""
    return "\n".join(joined_css((outdir / source).resolve(), bundle_dir) for source in sources)


def _selectors(prelude: list) -> list[list]:
    """A style rule's selector list, split at its top-level commas (tinycss2 tokens)."""
    selectors: list[list] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(token)
    return selectors


def _required_classes(selector: list) -> set[str]:
    """The classes an element must carry for ``selector`` to match it: those outside its functions.

    ``.a:not(.b)`` needs ``a`` only; ``:is(.a, .b)`` needs neither for certain, so neither is required.
    """
    tokens = [t for t in selector if t.type not in ("whitespace", "comment")]
    return {name.value for dot, name in pairwise(tokens) if dot.type == "literal" and dot.value == "." and name.type == "ident"}


def drop_unused_rules(css: str, used: set[str], prefixes: tuple[str, ...] = ()) -> str:
    """``css`` without the selectors that need a class outside ``used`` (and not starting with one of
    ``prefixes``), and the rules left with none.

    Grouping rules (@media, @supports, @layer, @container) are trimmed inside and dropped when
    empty; every other at-rule (@font-face, @keyframes, ...) stays as it is.
    """

    def trimmed(rules: list) -> str:
        out = []
        for rule in rules:
            if rule.type == "qualified-rule":
                kept = [
                    tinycss2.serialize(s).strip()
                    for s in _selectors(rule.prelude)
                    if all(c in used or c.startswith(prefixes) for c in _required_classes(s))
                ]
                if kept:
                    out.append(f"{','.join(kept)}{{{tinycss2.serialize(rule.content)}}}")
            elif rule.type == "at-rule" and rule.content is not None and rule.lower_at_keyword in ("media", "supports", "layer", "container"):
                inner = trimmed(tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True))
                if inner:
                    out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
            elif rule.type == "at-rule":
                out.append(tinycss2.serialize([rule]))
            # else a parse error: the browser drops that text too
        return "\n".join(out)

    return trimmed(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True))


def _names_its_sources(bundle: Path) -> bool:
    """Whether ``bundle`` exists and begins with BUNDLE_HEADER (bundles of older builds do not)."""
    if not bundle.is_file():
        return False
    with bundle.open(encoding="utf-8") as f:
        return f.read(len(BUNDLE_HEADER[0])) == BUNDLE_HEADER[0]


def trim_bundles(outdir: Path, used: set[str], prefixes: tuple[str, ...], linked: set[str]) -> None:
    """Join every bundle that a page links (by name, in ``linked``) again from its stylesheets (the build's
    fresh copies) without the rules ``used`` cannot match; remove the bundles no page links.

    Every build, not once: an unchanged page keeps linking its bundle while another page's classes change.
    """
    for bundle in sorted((outdir / BUNDLES).glob("bundle-*.css")):
        if bundle.name not in linked:  # an earlier build's, for stylesheets that have changed since
            bundle.unlink()
            continue
        header = bundle.read_text(encoding="utf-8").partition("\n")[0] + "\n"
        sources = header.removeprefix(BUNDLE_HEADER[0]).removesuffix(BUNDLE_HEADER[1]).split()
        if not header.startswith(BUNDLE_HEADER[0]) or not all((outdir / s).is_file() for s in sources):
            raise RuntimeError(f"{bundle} does not name its stylesheets on its first line, or one is gone: run a full build (--all)")
        bundle.write_text(header + drop_unused_rules(joined(sources, outdir, bundle.parent), used, prefixes), encoding="utf-8")


def _stylesheet_edits(html: str, page: _Scanner, page_dir: Path, outdir: Path) -> list[tuple[int, int, str]]:
    """Replace the page's local stylesheet links by one link to their concatenation (written once)."""
    # Local links only; a template's unrendered {{ pathto(...) }} (the theme ships one in _static) is no file.
    links = [
        t
        for t in page.tags
        if t.name == "link" and t.end <= page.head_end and t.attrs.get("rel") == "stylesheet"
        and "://" not in (t.attrs.get("href") or "://") and "{" not in t.attrs["href"]
    ]  # fmt: skip
    if len(links) < 2:
        return []
    hrefs = [t.attrs["href"] for t in links]
    files = [(page_dir / href.split("?")[0]).resolve() for href in hrefs]
    # The hrefs carry Sphinx's content checksums (?v=, ?digest=): a changed stylesheet makes a new bundle.
    key = "\n".join(os.path.relpath(f, outdir) + "?" + href.partition("?")[2] for f, href in zip(files, hrefs, strict=True))
    bundle = outdir / BUNDLES / f"bundle-{hashlib.sha256(key.encode()).hexdigest()[:16]}.css"
    if not _names_its_sources(bundle):
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise FileNotFoundError(f"stylesheets linked from {page_dir} are missing: {missing}")
        sources = [os.path.relpath(f, outdir).replace(os.sep, "/") for f in files]
        bundle.write_text(" ".join(sources).join(BUNDLE_HEADER) + joined(sources, outdir, bundle.parent), encoding="utf-8")
    href = os.path.relpath(bundle, page_dir).replace(os.sep, "/")
    edits = [(links[0].start, links[0].end, f'<link rel="stylesheet" type="text/css" href="{href}" />')]
    return edits + [(*_line_of(html, t.start, t.end), "") for t in links[1:]]


def patch_page(html: str, page_dir: Path, outdir: Path) -> tuple[str, set[int], set[str]]:
    """The page with its scripts, images, bibliography and stylesheets patched (see the module
    docstring), the code points of its MathML, and the classes its elements carry or its inline scripts name."""
    page = _Scanner(html)
    edits = _script_edits(html, page) + _image_edits(html, page, page_dir) + _citation_edits(html, page)
    edits += _stylesheet_edits(html, page, page_dir, outdir)
    names = page.classes | {word for text in page.script_text for word in SCRIPT_WORD.findall(text)}
    return _splice(html, edits), {ord(c) for text in page.math for c in text}, names


def used_icons(pages: list[str], theme_css: str) -> set[int]:
    """The code points of every Font Awesome icon class that appears in the pages."""
    classes = set()
    for html in pages:
        classes.update(ICON_CLASS.findall(html))
    points = set()
    for rule in re.finditer(r"([^{}]+)\{content:\"\\(f[0-9a-f]{3})\"\}", theme_css):
        selectors = {s.strip().removesuffix(":before").removesuffix("::before").lstrip(".") for s in rule.group(1).split(",")}
        if selectors & classes:
            points.add(int(rule.group(2), 16))
    return points


def math_characters(pages: list[str]) -> set[int]:
    """The code points the pages' MathML draws: its text, and the italic forms of its letters."""
    return set(MATH_ITALIC).union(*({ord(c) for text in _Scanner(html).math for c in text} for html in pages))


def subset_font(font: Path, code_points: set[int], layout_features: tuple[str, ...] = ()) -> None:
    """Rewrite a woff2 font in place with only the glyphs of ``code_points`` (and those
    its ``layout_features`` and MATH table reach from them: "*" keeps every feature)."""
    from fontTools import subset  # matplotlib's dependency; woff2 output needs brotli

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = list(layout_features)
    loaded = subset.load_font(str(font), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(code_points))
    subsetter.subset(loaded)
    subset.save_font(loaded, str(font), options)


def patch_site(outdir: Path) -> None:
    pages = sorted(outdir.rglob("*.html"))
    texts, math, used = [], set(MATH_ITALIC), set()
    for page in pages:
        html = page.read_text(encoding="utf-8")
        patched, characters, classes = patch_page(html, page.parent, outdir)
        if patched != html:
            page.write_text(patched, encoding="utf-8")
        texts.append(patched)
        math |= characters
        used |= classes
    # What scripts may add to an element: every name they spell out, and every name they build.
    prefixes = set()
    for script in (outdir / "_static").rglob("*.js"):
        code = script.read_text(encoding="utf-8", errors="replace")
        used.update(SCRIPT_WORD.findall(code))
        prefixes.update(SCRIPT_PREFIX.findall(code))
    trim_bundles(outdir, used, tuple(sorted(prefixes)), {name for text in texts for name in BUNDLE_NAME.findall(text)})
    font, css = outdir / SOLID_FONT, outdir / THEME_CSS
    if font.is_file() and css.is_file():
        code_points = used_icons(texts, css.read_text(encoding="utf-8"))
        if not code_points:
            raise RuntimeError(f"no Font Awesome icon found in {len(pages)} pages: the theme changed; update {__name__}")
        subset_font(font, code_points)
    math_font = outdir / MATH_FONT
    if math_font.is_file():
        # Every feature: a math font's script-size and stretchy forms are reached through them.
        subset_font(math_font, math, layout_features=("*",))


def _build_finished(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        patch_site(Path(app.outdir))


def setup(app):
    # After the theme's own build-finished handlers (priority 500): pydata-sphinx-theme writes
    # pygments.css with its light and dark styles then, and the bundle must hold that file,
    # not Sphinx's first one (one style for both modes, unreadable on the dark background).
    app.connect("build-finished", _build_finished, priority=900)
    app.add_js_file(None, body=RESOLVE_MODE, priority=1)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""The built book as a reader sees it: every chapter page opened in headless Chromium.

Run after the build (``make test`` does both): the pages are served from
``_build/html`` on 127.0.0.1 and a full-page screenshot of each chapter is saved
under ``_build/screenshots/``.
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import nbformat
import pytest
from playwright.sync_api import expect

from tools import audit, build_book
from tools.serve_book import HTML

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = HTML.parent / "screenshots"
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# The folder of each edition of the site: "" for English, "zh/" for 中文 (_config.yml's editions).
EDITIONS = build_book.site_folders()
# A class among others: Playwright matches a pattern against the whole class attribute.
TOGGLE_HIDDEN = re.compile(r"(^|\s)toggle-hidden(\s|$)")
SIDEBAR_HIDDEN = re.compile(r"(^|\s)pst-sidebar-hidden(\s|$)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=audit.chromium_path(), args=audit.CHROMIUM_ARGS)
        yield browser
        browser.close()


class Page:
    """A page opened in Chromium, with the console errors and failed requests it produced."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.failed_local: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"{m.text} @ {m.location.get('url', '')}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("requestfailed", lambda r: _is_local(r.url) and self.failed_local.append(f"{r.url}: {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and _is_local(r.url) and self.failed_local.append(f"{r.url}: HTTP {r.status}"))
        self.page.goto(url, wait_until="networkidle")

    def local_errors(self) -> list[str]:
        # Requests to other hosts are blocked on the build machines (no internet); those may fail.
        return [e for e in self.errors if not re.search(r"@ https?://(?!127\.0\.0\.1)", e)]


# Elements whose right edge passes the article's: a reader would have to scroll
# the page sideways or would not see their end (MathML does not break long
# equations). A box that scrolls its own content (code does, with shadows at its
# edges that show it) counts by its box; anything else by its content.
WIDER_THAN_THE_PAGE = """() => {
  const limit = document.querySelector('article').getBoundingClientRect().right + 2;
  return Array.from(document.querySelectorAll(
      'article div.math, article pre, article img, article table'))
    .filter(el => {
      const box = el.getBoundingClientRect();
      const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
      return box.left + (scrolls ? box.width : Math.max(box.width, el.scrollWidth)) > limit;
    })
    .map(el => el.tagName + ': ' + (el.textContent || el.getAttribute('src') || '').slice(0, 60));
}"""


def _is_local(url: str) -> bool:
    return urlparse(url).hostname in ("127.0.0.1", None)


def _title(path: Path) -> str:
    first = nbformat.read(path, as_version=4).cells[0].source
    return first.splitlines()[0].lstrip("# ").strip()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page_as_a_reader_sees_it(site, browser, chapter):
    number = int(chapter.name[:2])
    opened = Page(browser, urljoin(site, f"notebooks/{chapter.stem}.html"))
    page = opened.page
    # Figures load lazily, as a reader scrolls (book/_ext/fast_pages.py): load them all now.
    page.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach(img => { img.loading = 'eager'; })")
    page.wait_for_function("() => Array.from(document.images).every(img => img.complete)")

    assert page.title() == f"{number}. {_title(chapter)} — Classification with PyTorch"
    images = page.evaluate("() => Array.from(document.images).map(img => [img.getAttribute('src'), img.naturalWidth])")
    assert images and all(width > 0 for _, width in images), f"images that did not load: {[s for s, w in images if not w]}"
    figures = page.locator("article .cell_output img, article .output img").count()
    assert figures >= 1, "at least one figure from the executed chapter"

    text = page.locator("article").inner_text()
    # The math is MathML from the build (book/_ext/mathml.py), drawn with the font the book ships.
    assert page.locator("article span.math > math").count() > 0 and page.locator("article div.math > math").count() > 0
    assert "$$" not in text and "\\(" not in text and "\\[" not in text, "raw TeX left in the page"
    assert page.locator("script[src*=mathjax], script[src*=katex]").count() == 0, "no script typesets the math"
    assert page.locator("article .math-error").count() == 0
    page.evaluate("async () => { await document.fonts.ready; }")
    math_font = page.evaluate("() => Array.from(document.fonts).filter(f => f.family.replace(/\"/g, '') === 'STIX Two Math').map(f => f.status)")
    assert math_font == ["loaded"], f"the math font: {math_font}"
    formula = page.locator("article div.math > math").first.bounding_box()
    assert formula["width"] > 20 and formula["height"] > 10, f"a display formula laid out as math: {formula}"
    # A directive MyST did not parse (a backtick fence whose title holds `code`, say)
    # shows up as raw text, and Sphinx does not warn about it.
    raw = re.findall(r"(?:```|:::)\s*\{[\w-]+\}|\{(?:warning|note|exercise|solution|term|cite|doc)\}", text)
    assert raw == [], f"unparsed MyST directives or roles in the page: {raw}"
    too_wide = page.evaluate(WIDER_THAN_THE_PAGE)
    assert too_wide == [], f"equations, code, images or tables wider than the page: {too_wide}"
    pitfalls = page.locator("article div.admonition", has_text="Common pitfall")
    assert pitfalls.count() >= 1, "the chapter's common pitfalls are rendered as admonitions"

    solutions = page.locator("article div.solution")
    assert solutions.count() >= 4
    for i in range(solutions.count()):
        assert "toggle-hidden" in (solutions.nth(i).get_attribute("class") or ""), "solutions start collapsed"
    first = solutions.first
    # A screen reader announces what the toggle opens (book/_static/theme-fixes.js).
    assert (first.locator(".toggle-button").get_attribute("aria-label") or "").startswith("Solution to Exercise")
    body = first.locator("xpath=./*[not(contains(@class, 'admonition-title'))]").first
    assert not body.is_visible()
    first.locator(".admonition-title").click()
    expect(first, "a click opens the solution").not_to_have_class(TOGGLE_HIDDEN)
    expect(body).to_be_visible()
    # The title's link to the exercise opens the solution too, and stays on it (book/_static/theme-fixes.js).
    second, url = solutions.nth(1), page.url
    second.locator(".admonition-title a").first.click()
    expect(second, "a tap on the title's link opens the solution").not_to_have_class(TOGGLE_HIDDEN)
    assert page.url == url, "the title's link opened the solution instead of jumping to the exercise"

    assert opened.local_errors() == [], "console errors"
    assert opened.failed_local == [], "requests to the book itself that failed"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{chapter.stem}.png"), full_page=True)
    page.close()


def _pages(site: str, edition: str = "") -> list[str]:
    """Every page of the navigation, in the edition whose folder is ``edition`` ("" or "zh/")."""
    intro = urljoin(site, f"{edition}book/intro.html")
    with urllib.request.urlopen(intro) as response:
        html = response.read().decode()
    nav = re.findall(r'<a class="reference internal" href="([^"#]+\.html)"', html)
    return [intro] + sorted({urljoin(intro, href) for href in nav})


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_page_and_anchor_that_the_pages_link_to_exists(site, browser, edition):
    pages = _pages(site, edition)
    assert len(pages) >= 5 + 5, "the preface pages, the chapters and the appendices are in the navigation"
    cache: dict[str, str] = {}

    def fetch(url: str) -> str:
        if url not in cache:
            with urllib.request.urlopen(url) as response:
                # Downloads (the assignments' zips) are binary: only their existence matters.
                cache[url] = response.read().decode("utf-8", errors="replace")
        return cache[url]

    broken = []
    for url in pages:
        opened = Page(browser, url)
        links = opened.page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        assert opened.local_errors() == [], f"console errors on {url}"
        if "/notebooks/" not in url:  # the chapters have their own screenshots
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = urlparse(url).path.strip("/").replace("/", "_").removesuffix(".html")
            opened.page.screenshot(path=str(SCREENSHOTS / f"page_{name}.png"), full_page=True)
        opened.page.close()
        for link in set(links):
            if not _is_local(link) or not link.startswith(site):
                continue
            target, fragment = urldefrag(link)
            try:
                html = fetch(target)
            except OSError as error:
                broken.append(f"{url} -> {link}: {error}")
                continue
            if fragment and not re.search(rf'id="{re.escape(fragment)}"', html):
                broken.append(f"{url} -> {link}: no element with id {fragment!r}")
    assert broken == []


def test_each_chapter_links_its_assignment(site):
    # The Exercises section hands out the assignment: the student notebook and its public tests, zipped.
    for chapter in CHAPTERS:
        with urllib.request.urlopen(urljoin(site, f"notebooks/{chapter.stem}.html")) as response:
            html = response.read().decode()
        links = re.findall(rf'href="([^"]*{chapter.stem}-student\.zip)"', html)
        assert links, f"{chapter.stem}: no link to its assignment"
        with urllib.request.urlopen(urljoin(site, f"notebooks/{links[0]}")) as response:
            names = zipfile.ZipFile(io.BytesIO(response.read())).namelist()
        assert any(n.endswith(f"{chapter.stem}.ipynb") for n in names) and any("/tests/" in n or n.startswith("tests/") for n in names), names


def test_the_download_button_serves_each_chapter(site):
    for chapter in CHAPTERS:
        with urllib.request.urlopen(urljoin(site, f"_sources/notebooks/{chapter.name}")) as response:
            notebook = json.loads(response.read())
        assert notebook["cells"], "the .ipynb download button serves the chapter"


def _search_index(site: str) -> dict:
    """The index the search page loads: searchindex.js is ``Search.setIndex({...})`` around JSON."""
    with urllib.request.urlopen(urljoin(site, "searchindex.js")) as response:
        script = response.read().decode()
    found = re.fullmatch(r"\s*Search\.setIndex\((.*)\)\s*", script, re.S)
    assert found, "searchindex.js is not Search.setIndex(...)"
    return json.loads(found.group(1))


def test_search_index_finds_each_chapter_by_its_title_and_text(site):
    import snowballstemmer  # Sphinx's English stemmer: the index holds stems

    stem = snowballstemmer.stemmer("porter").stemWord
    index = _search_index(site)
    for chapter in CHAPTERS:
        docname = f"notebooks/{chapter.stem}"
        assert docname in index["docnames"], f"{docname} is not in the search index"
        doc = index["docnames"].index(docname)
        title = next(c for c in nbformat.read(chapter, as_version=4).cells if c.cell_type == "markdown").source.splitlines()[0]
        words = [w for w in re.findall(r"[A-Za-z]+", title) if len(w) > 3]
        missing = [w for w in words if doc not in _documents(index["titleterms"].get(stem(w.lower())))]
        assert words and missing == [], f"{docname}: the title words {missing} do not find it"
        # The body is indexed too, not only the title: many terms lead to the page.
        assert sum(doc in _documents(docs) for docs in index["terms"].values()) > 100, docname


def _documents(entry: int | list[int] | None) -> list[int]:
    """The documents of one index entry: Sphinx writes an int for one, a list for several."""
    return [] if entry is None else [entry] if isinstance(entry, int) else entry


# Every width a reader brings: a phone, a tablet or a narrow window, a laptop.
@pytest.mark.parametrize("width", [390, 800, 1280])
def test_navigation_opens_at_every_width(site, browser, width):
    """The chapter list and the page contents open from the buttons a reader can see.

    Below 960 px both sidebars are dialogs opened by the header's buttons; on a
    laptop the chapter list is shown and its button hides it.
    """
    page = browser.new_page(viewport={"width": width, "height": 844})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(urljoin(site, "notebooks/05_mlp_mnist.html"), wait_until="load")
    toggles = {"primary": "#pst-primary-sidebar-modal", "secondary": "#pst-secondary-sidebar-modal"}
    for kind, dialog in toggles.items():
        buttons = [b for b in page.locator(f".{kind}-toggle").all() if b.is_visible()]
        if width >= 992 and kind == "secondary":
            assert not buttons and page.locator("#pst-secondary-sidebar").is_visible(), "on a laptop the page contents are shown"
            continue
        assert len(buttons) == 1, f"{width} px: one visible {kind} toggle, found {len(buttons)}"
        sidebar = page.locator(f"#pst-{kind}-sidebar")
        hidden_before = "pst-sidebar-hidden" in (sidebar.get_attribute("class") or "")
        buttons[0].click()
        if width >= 992:  # the chapter list collapses, as the theme intends on wide screens
            collapsed = expect(sidebar).not_to_have_class if hidden_before else expect(sidebar).to_have_class
            collapsed(SIDEBAR_HIDDEN)
        else:
            expect(page.locator(dialog), f"{width} px: the {kind} sidebar did not open").to_have_js_property("open", True)
            assert page.locator(f"{dialog} a").count() > 3, "the opened sidebar holds links"
            page.keyboard.press("Escape")
            expect(page.locator(dialog)).to_have_js_property("open", False)
    assert not errors, errors
    page.close()


def test_the_phones_page_contents_close_after_a_choice(site, browser):
    # The drawer once stayed open over the section it had jumped to.
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(urljoin(site, "notebooks/05_mlp_mnist.html"), wait_until="load")
    page.locator(".secondary-toggle").locator("visible=true").first.click()
    dialog = page.locator("#pst-secondary-sidebar-modal")
    expect(dialog).to_have_attribute("open", "")
    link = dialog.locator("a[href^='#']").locator("visible=true").nth(2)
    target = link.get_attribute("href")[1:]
    link.click()
    expect(dialog).not_to_have_attribute("open", "")
    heading = page.locator(f"[id='{target}']")
    expect(heading).to_be_in_viewport()
    page.close()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_figure_has_a_numbered_caption_and_alt_text(site, browser, chapter):
    """A figure of the executed chapter is a numbered figure ("Fig. 5.3") that says what it shows.

    Its caption comes from the code cell's ``mystnb.figure`` metadata, and its
    alt text, read out by a screen reader in place of the image, from ``mystnb.image``.
    """
    number = int(chapter.name[:2])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(urljoin(site, f"notebooks/{chapter.stem}.html"), wait_until="load")
    figures = page.evaluate(
        """() => Array.from(document.querySelectorAll('article .cell_output img')).map(img => {
             const figure = img.closest('figure');
             const caption = figure && figure.querySelector('figcaption');
             return {src: img.getAttribute('src'), alt: img.getAttribute('alt') || '',
                     caption: caption ? caption.textContent.trim() : ''};
           })"""
    )
    page.close()
    assert figures, "the chapter has figures"
    for figure in figures:
        assert re.match(rf"Fig\. {number}\.\d+\s+\S", figure["caption"]), f"{figure['src']}: no numbered caption: {figure['caption']!r}"
        alt = figure["alt"]
        assert len(alt) > 30 and not re.search(r"\.(svg|png)$", alt), f"{figure['src']}: alt text {alt!r} does not describe the figure"


# What passes a phone's screen and is not inside a box that scrolls on its own
# (code, a display equation, a long inline formula): cut off, or the page scrolls sideways.
PAST_THE_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const inScrollingBox = el => {
    for (let p = el.parentElement; p && p.tagName !== 'ARTICLE'; p = p.parentElement) {
      const overflow = getComputedStyle(p).overflowX;
      if ((overflow === 'auto' || overflow === 'scroll') && p.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  return Array.from(document.querySelectorAll('article *'))
    .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > width + 1 && !inScrollingBox(el); })
    .map(el => el.tagName + ': ' + (el.textContent || '').trim().slice(0, 60));
}"""


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_page_is_wider_than_a_phone(site, browser, edition):
    """At 390 px nothing is cut at the screen's edge and no page scrolls sideways."""
    wide = {}
    for url in _pages(site, edition):
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(url, wait_until="load")
        past = page.evaluate(PAST_THE_SCREEN)
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        if past or scroll_width > 390:
            wide[url] = (scroll_width, past[:5])
        page.close()
    assert wide == {}, f"pages wider than a phone (scroll width, elements past the edge): {wide}"


# Formulas whose ink a reader cannot reach: each formula's box is scrolled to its start and to its
# end, and the formula's content (its text's rectangle, not the <math> element, which a flex box
# shrinks) must lie inside the box at both, and the box inside the article (or inside a box that
# scrolls, such as a wide table's).
FORMULAS_CUT = """() => {
  const article = document.querySelector('article').getBoundingClientRect();
  const cut = [];
  for (const box of document.querySelectorAll('article div.math, article span.math')) {
    const math = box.querySelector('math');
    if (!math) continue;
    const ink = document.createRange();
    ink.selectNodeContents(math);
    box.scrollLeft = 0;
    const atStart = [box.getBoundingClientRect(), ink.getBoundingClientRect()];
    box.scrollLeft = box.scrollWidth;
    const atEnd = [box.getBoundingClientRect(), ink.getBoundingClientRect()];
    box.scrollLeft = 0;
    // In a box that scrolls (a wide table's container), the formula is reached by scrolling that box.
    let inScroller = false;
    for (let up = box.parentElement; up && up.tagName !== 'ARTICLE'; up = up.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(up).overflowX)) inScroller = true;
    }
    const pastArticle = inScroller ? 0 : atStart[0].right - article.right;
    const lost = Math.max(atStart[0].left - atStart[1].left, atEnd[1].right - atEnd[0].right, pastArticle);
    if (lost > 1) cut.push(`${Math.round(lost)} px of ${math.textContent.slice(0, 50)}`);
  }
  return cut;
}"""


# Code and output blocks that scroll sideways: the line that is too long, and by how much.
BLOCKS_THAT_SCROLL = """() => Array.from(document.querySelectorAll('article div.cell_input pre, article div.cell_output pre'))
  .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
  .map(pre => {
    const longest = pre.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '');
    return `${pre.scrollWidth - pre.clientWidth} px: ${longest.trim().slice(0, 70)}`;
  })"""


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_code_and_outputs_fit_a_laptops_column(site, browser, chapter):
    # Code is at most 88 columns (notebooks/ruff.toml); printed output is kept as narrow.
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(urljoin(site, f"notebooks/{chapter.stem}.html"), wait_until="load")
    page.evaluate("async () => { await document.fonts.ready; }")
    scrolling = page.evaluate(BLOCKS_THAT_SCROLL)
    page.close()
    assert scrolling == [], f"{len(scrolling)} code or output blocks scroll sideways at 1280 px: {scrolling}"


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("width", [390, 1280])
def test_every_formula_is_whole_or_scrolls_to_its_end(site, browser, width, edition):
    cut = {}
    for url in _pages(site, edition):
        page = browser.new_page(viewport={"width": width, "height": 844})
        page.goto(url, wait_until="load")
        page.evaluate("async () => { await document.fonts.ready; }")
        if lost := page.evaluate(FORMULAS_CUT):
            cut[url.removeprefix(site)] = lost
        page.close()
    assert cut == {}, f"formulas cut at {width} px, out of reach even by scrolling their box: {cut}"


# Inline code in a table that the browser broke inside a word (BCEL|oss): Sphinx puts each
# space-separated word of a literal in its own span.pre, which then has more than one line box.
BROKEN_IDENTIFIERS = """() => Array.from(document.querySelectorAll('article table code.literal span.pre'))
  .filter(word => word.getClientRects().length > 1)
  .map(word => word.textContent)"""


def test_tables_keep_identifiers_whole_on_a_phone(site, browser):
    broken = {}
    for url in _pages(site):
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(url, wait_until="load")
        if words := page.evaluate(BROKEN_IDENTIFIERS):
            broken[url.removeprefix(site)] = words
        page.close()
    assert broken == {}, f"identifiers broken across lines in tables: {broken}"


def test_search_results_show_no_formula_text(site, browser):
    # Chapter 3's snippets would quote its formulas' MathML characters without their layout
    # ("𝐨=𝐱𝐖+𝐛"); book/_static/theme-fixes.js puts "…" in their place.
    page = browser.new_page()
    page.goto(urljoin(site, "search.html?q=softmax+logits"), wait_until="load")
    page.wait_for_selector("#search-results li p.context", timeout=30_000)
    snippets = page.locator("#search-results li p.context").all_inner_texts()
    assert snippets, "the search found nothing"
    assert not [s for s in snippets if re.search(r"\\\(|\\\[|\\mathbf|\\hat|[\U0001D400-\U0001D7FF∂∑σ]", s)], snippets
    # Nor the theme's printed table of contents, which heads each page's text ("3.2.1. Scores into ...").
    assert not [s for s in snippets if re.search(r"\d\.\d+\.\d+\. [A-Z]", s)], snippets
    # One search box on the page, with the magnifier beside the query, not over its first letter.
    page.set_viewport_size({"width": 1280, "height": 800})
    boxes = page.locator("input[type=search], .search-button-field").locator("visible=true")
    assert boxes.count() == 1, f"{boxes.count()} search boxes shown"
    icon = page.locator(".bd-search-container .fa-magnifying-glass").bounding_box()
    text_starts = page.locator(".bd-search-container input[type=search]").evaluate(
        "i => i.getBoundingClientRect().left + parseFloat(getComputedStyle(i).paddingLeft)"
    )
    assert icon["x"] + icon["width"] <= text_starts, "the magnifier covers the query"


class _ProseText(HTMLParser):
    """The text a reader sees as prose: outside math, code and scripts."""

    SKIP = {"math", "code", "pre", "script", "style", "kbd", "samp", "textarea", "svg"}

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


# What TeX that was not rendered leaves in the prose: a dollar before a symbol, a command, a script in braces.
RAW_TEX = re.compile(r"\$[^\s$\d]|\\[a-zA-Z]+\{|\\(frac|delta|qquad|partial|sum|mathbf|max|sigma|top|odot)\b|[\^_]\{")


def test_no_raw_tex_in_the_rendered_text():
    """Every formula is rendered: no page shows its TeX ($$ inside a list item once came out as text)."""
    raw = {}
    for page in sorted(HTML.rglob("*.html")):
        if page.relative_to(HTML).parts[0] in ("_static", "_sources", "reports") or page.name in ("search.html", "genindex.html"):
            continue
        parser = _ProseText()
        parser.feed(page.read_text(encoding="utf-8"))
        text = " ".join(parser.parts)
        found = [text[max(0, m.start() - 40) : m.end() + 40] for m in RAW_TEX.finditer(text)]
        if found:
            raw[page.relative_to(HTML).as_posix()] = found[:3]
    assert raw == {}, f"TeX shown as text: {raw}"


def test_nothing_stale_is_published():
    # tools/build_book.py removes figures no page shows and reports of old failed executions.
    pages = "".join(p.read_text(encoding="utf-8") for p in HTML.rglob("*.html"))
    unused = [p.name for p in (HTML / "_images").iterdir() if p.name not in pages]
    assert unused == [], f"{len(unused)} figures no page shows"
    reports = [p.name for p in (HTML / "reports").rglob("*") if p.is_file()]
    assert reports == [], "execution reports of an earlier failed build"
    assert not (HTML / "_static" / "mathjax").exists(), "MathJax, which no page loads since the math is MathML"


def test_the_math_font_has_every_character_of_the_math(load_source):
    # fast_pages cuts the math font down to the characters of the pages' MathML: a character
    # it dropped would be drawn from another font, or not at all.
    from fontTools.ttLib import TTFont

    fast_pages, mathml = load_source("book/_ext/fast_pages.py"), load_source("book/_ext/mathml.py")
    used = fast_pages.math_characters([p.read_text(encoding="utf-8") for p in HTML.rglob("*.html")])
    shipped = TTFont(HTML / fast_pages.MATH_FONT)
    full = TTFont(mathml.ASSETS["STIXTwoMath.woff2"]).getBestCmap()
    assert "MATH" in shipped, "the font's MATH table (stretchy brackets, script positions)"
    dropped = sorted(chr(c) for c in used if c in full and c not in shipped.getBestCmap())
    assert dropped == [], f"characters of the math that the shipped font lacks: {dropped}"
    not_in_stix = sorted(chr(c) for c in used - fast_pages.MATH_ITALIC if c not in full)
    assert not_in_stix == [], f"characters of the math that STIX Two Math does not have: {not_in_stix}"
    assert (HTML / fast_pages.MATH_FONT).stat().st_size < 100_000, "the subset, not the whole 403 kB font"


# The WCAG contrast ratio of each code token's colour against its code block's background.
CODE_CONTRAST = """() => {
    const lum = (c) => {
        const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => v / 255)
            .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const background = (el) => {
        for (; el; el = el.parentElement) {
            const c = getComputedStyle(el).backgroundColor;
            if (!c.startsWith('rgba') || !c.endsWith(', 0)')) return c;
        }
        return 'rgb(255, 255, 255)'; };
    const low = {};
    for (const span of document.querySelectorAll('div.highlight pre, div.highlight pre span')) {
        if (!span.textContent.trim()) continue;
        const [a, b] = [lum(getComputedStyle(span).color), lum(background(span))];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        if (ratio < 4.5) low[span.className || 'text'] = Math.round(ratio * 100) / 100;
    }
    return low; }"""


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_code_colours_meet_4_5_to_1_in_both_modes(site, browser, mode):
    page = browser.new_page()
    page.add_init_script(f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")
    page.goto(urljoin(site, "notebooks/03_softmax_regression.html"), wait_until="load")
    assert page.evaluate("document.documentElement.dataset.theme") == mode
    low = page.evaluate(CODE_CONTRAST)
    page.close()
    assert low == {}, f"{mode} mode: code tokens below 4.5:1 (token class: contrast) {low}"


@pytest.mark.parametrize("edition", EDITIONS)
def test_dark_mode_reads_and_navigates(site, browser, edition):
    # A reader whose theme switch says dark: light text on a dark page, the figures (drawn for a
    # light page) on white, and the chapter list still opens on a phone.
    page = browser.new_page(viewport={"width": 390, "height": 844})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
    page.goto(urljoin(site, f"{edition}notebooks/03_softmax_regression.html"), wait_until="load")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    luminance = """(el, prop) => {
        const [r, g, b] = getComputedStyle(el)[prop].match(/\\d+/g).map(Number);
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; }"""
    body = page.locator("body")
    assert body.evaluate(luminance, "backgroundColor") < 0.2 and body.evaluate(luminance, "color") > 0.7
    figure = page.locator("figure img").first
    # The theme puts dark-mode images on its light grey (luminance about 0.83): dark ink stays legible.
    assert figure.evaluate(luminance, "backgroundColor") > 0.75, "a figure drawn for a light page needs a light background"
    page.locator(".primary-toggle").locator("visible=true").first.click()
    expect(page.locator("#pst-primary-sidebar-modal")).to_have_js_property("open", True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"dark-390{'-' + edition.strip('/') if edition else ''}.png")
    assert errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_first_visit_follows_the_systems_colour_scheme(site, browser, scheme):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
    page.goto(urljoin(site, "book/intro.html"), wait_until="load")
    assert page.evaluate("document.documentElement.dataset.theme") == scheme
    page.close()

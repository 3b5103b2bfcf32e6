"""The page patches of book/_ext/fast_pages.py, on a small site written here."""

from __future__ import annotations

import pytest


@pytest.fixture
def fast_pages(load_source):
    return load_source("book/_ext/fast_pages.py")


def _site(root):
    (root / "_static" / "styles").mkdir(parents=True)
    (root / "_static" / "vendor").mkdir()
    (root / "_static" / "basic.css").write_text("p { background: url(file.png); }\n")
    (root / "_static" / "styles" / "theme.css").write_text('@import "../basic.css";\n')
    (root / "_static" / "styles" / "main.css").write_text(
        "@font-face { src: url(../vendor/icons.woff2); }\na { color: red; }\n/*# sourceMappingURL=main.css.map */\n"
    )
    (root / "_static" / "course.css").write_text('a { color: blue; } b { background: url("data:image/png;base64,AA=="); }\n')
    (root / "book").mkdir()
    page = root / "book" / "intro.html"
    page.write_text(
        "<html><head>\n"
        '  <link href="../_static/styles/theme.css?digest=1" rel="stylesheet" />\n'
        '  <link href="../_static/styles/main.css?digest=1" rel="stylesheet" />\n'
        '  <link rel="stylesheet" href="https://example.org/remote.css" />\n'
        '  <link rel="stylesheet" type="text/css" href="../_static/course.css?v=2" />\n'
        '</head><body><link rel="stylesheet" href="../_static/course.css" /></body></html>\n'
    )
    return page


def test_stylesheets_are_joined_in_order_with_imports_inlined_and_urls_rebased(fast_pages, tmp_path):
    page = _site(tmp_path)
    html = fast_pages.patch_page(page.read_text(), page.parent, tmp_path)[0]
    head, body = html.split("</head>")
    (bundle,) = (tmp_path / "_static" / "styles").glob("bundle-*.css")
    assert head.count('rel="stylesheet"') == 2 and f'href="../_static/styles/{bundle.name}"' in head
    assert "https://example.org/remote.css" in head  # remote sheets stay as they are
    assert 'href="../_static/course.css"' in body  # only the head is bundled
    css = bundle.read_text()
    # basic.css (through the @import), then main.css, then course.css: the cascade keeps its order.
    assert css.index("url(../file.png)") < css.index("color: red") < css.index("color: blue")
    assert "url(../vendor/icons.woff2)" in css and "data:image/png;base64,AA==" in css
    assert "@import" not in css and "sourceMappingURL" not in css


def test_the_same_stylesheets_make_one_bundle_and_a_changed_one_another(fast_pages, tmp_path):
    page = _site(tmp_path)
    original = page.read_text()

    def patch(html):
        return fast_pages.patch_page(html, page.parent, tmp_path)[0]

    first = patch(original)
    assert patch(original) == first
    assert patch(first) == first  # a patched page stays as it is
    changed = patch(original.replace("course.css?v=2", "course.css?v=3"))
    assert changed != first and len(list((tmp_path / "_static" / "styles").glob("bundle-*.css"))) == 2


def test_a_missing_stylesheet_is_an_error(fast_pages, tmp_path):
    page = _site(tmp_path)
    (tmp_path / "_static" / "course.css").unlink()
    with pytest.raises(FileNotFoundError, match="course.css"):
        fast_pages.patch_page(page.read_text(), page.parent, tmp_path)[0]


def test_bibliography_entries_are_list_items(fast_pages, tmp_path):
    html = '<div role="list" class="citation-list">\n<div class="citation" id="id3" role="doc-biblioentry">\n'
    assert fast_pages.patch_page(html, tmp_path, tmp_path)[0] == html.replace("doc-biblioentry", "listitem")


def test_blocking_scripts_are_deferred_except_the_options(fast_pages, tmp_path):
    html = (
        '<script src="../_static/documentation_options.js?v=1"></script>'
        '<script src="../_static/doctools.js?v=1"></script>'
        '<script async="async" src="../_static/thebe.js"></script>'
        '<script defer src="../_static/scripts/fontawesome.js?digest=1"></script>'
    )
    patched = fast_pages.patch_page(html, tmp_path, tmp_path)[0]
    assert '<script src="../_static/documentation_options.js?v=1"></script>' in patched
    assert '<script defer src="../_static/doctools.js?v=1"></script>' in patched
    assert '<script async="async" src="../_static/thebe.js"></script>' in patched and "fontawesome" not in patched


def test_the_math_font_keeps_the_characters_of_the_mathml(fast_pages, tmp_path):
    page = '<p>x < y</p><span class="math"><math><mi>x</mi><mo>&lt;</mo><mn>2</mn></math></span>'
    assert fast_pages.patch_page(page, tmp_path, tmp_path)[1] == {ord("x"), ord("<"), ord("2")}, "only what is inside <math>"
    points = fast_pages.math_characters([page])
    assert 0x1D465 in points and 0x210E in points, "the italic x, and the italic h the browser draws for <mi>h</mi>"
    assert fast_pages.math_characters(["<p>no math</p>"]) == fast_pages.MATH_ITALIC


def test_rules_that_can_match_no_element_are_dropped(fast_pages):
    css = (
        ".used, .unused { color: red }\n"
        ".unused .used, .used.unused { color: blue }\n"
        ".used:not(.unused) { margin: 0 }\n"
        ":is(.unused, .used) p { padding: 0 }\n"
        "html[data-theme=dark] body { color: white }\n"
        "@media (min-width: 600px) { .unused { display: none } .used { display: block } }\n"
        "@media print { .unused { display: none } }\n"
        "@font-face { font-family: X; src: url(x.woff2) }\n"
        "@keyframes spin { from { transform: rotate(0) } }\n"
    )
    trimmed = fast_pages.drop_unused_rules(css, {"used"})
    assert ".used{ color: red }" in trimmed and "blue" not in trimmed, "a selector needing a class no page has goes, its list's others stay"
    assert ".used:not(.unused){ margin: 0 }" in trimmed, "a class inside :not() is not needed to match"
    assert ":is(.unused, .used) p{ padding: 0 }" in trimmed and "html[data-theme=dark] body" in trimmed
    assert "@media (min-width: 600px) {.used{ display: block }}" in trimmed and "print" not in trimmed, "an emptied @media goes"
    assert "@font-face" in trimmed and "@keyframes spin" in trimmed


def test_a_bundle_keeps_what_pages_and_scripts_use_is_trimmed_again_each_build_and_stale_ones_go(fast_pages, tmp_path):
    page = _site(tmp_path)
    (tmp_path / "_static" / "course.css").write_text(
        ".note { color: blue } .tip { color: green } .toast { color: gray } .bs-tooltip-auto { color: purple }\n"
    )
    (tmp_path / "_static" / "tips.js").write_text("element.classList.add('toast')\nel.classList.add(`bs-${this.name}-auto`)\n")
    page.write_text(page.read_text().replace("<body>", '<body><p class="note">'))
    fast_pages.patch_page(page.read_text(), page.parent, tmp_path)
    (bundle,) = (tmp_path / "_static" / "styles").glob("bundle-*.css")
    bundle.write_text(".tip { color: green }")  # an older build's, which does not name its stylesheets
    fast_pages.patch_site(tmp_path)
    css = bundle.read_text()
    assert "blue" in css and "gray" in css and "green" not in css, "kept: a page's class and a script's; dropped: .tip"
    assert "purple" in css, "a class a script builds (Bootstrap's tooltip placements) is kept"
    assert "color: red" in css and "url(../file.png)" in css, "rules without classes stay, url()s still rebased"
    # An unchanged page keeps its bundle link; another page that now uses .tip brings its rule back.
    (tmp_path / "other.html").write_text('<html><head></head><body><p class="tip"></p></body></html>')
    stale = bundle.with_name("bundle-0123456789abcdef.css")  # an earlier build's, that no page links
    stale.write_text("/* bundle of: _static/course.css */\n")
    fast_pages.patch_site(tmp_path)
    assert "green" in bundle.read_text()
    assert not stale.exists(), "a bundle no page links is not published"

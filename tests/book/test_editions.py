"""The Chinese edition beside the English one: every page translated, linked both ways, with the same content.

The phone-width, formula, link, dark-mode and Lighthouse checks of test_pages.py and
test_lighthouse.py run on both editions; these are the checks of the translation itself.
"""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import urljoin

import pytest
import yaml

from tools import translations
from tools.build_book import ROOT, editions

TRANSLATED = {language: edition for language, edition in editions().items() if edition["folder"]}


def _pages() -> list[str]:
    """Every page of _toc.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]


def _get(url: str) -> str:
    with urllib.request.urlopen(url) as response:
        return response.read().decode()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_of_every_page_is_translated(language):
    # The build has just brought the catalogs up to date with the English (sphinx-intl): a paragraph
    # changed in English since it was translated is "outdated", a new one "missing".
    catalogs = {translations.page(c): c for c in translations.catalogs(language)}
    assert sorted(catalogs) == sorted(_pages())
    left = {page: n for page, c in catalogs.items() if (n := translations.counts(c))["outdated"] or n["missing"]}
    assert left == {}, f"translate them (locales/README.md): {left}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_page_links_to_itself_in_the_other_edition(site, language):
    folder = TRANSLATED[language]["folder"]
    tag = language.replace("_", "-")
    for page in _pages():
        english, translated = urljoin(site, f"{page}.html"), urljoin(site, f"{folder}/{page}.html")
        english_html, translated_html = _get(english), _get(translated)
        assert f'<html lang="{tag}"' in translated_html and '<html lang="en"' in english_html, page
        to_translated = re.search(rf'<a href="([^"]+)" hreflang="{tag}"', english_html)
        to_english = re.search(r'<a href="([^"]+)" hreflang="en"', translated_html)
        assert to_translated and urljoin(english, to_translated.group(1)) == translated, page
        assert to_english and urljoin(translated, to_english.group(1)) == english, page


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("page", [p for p in _pages() if p.startswith("notebooks/")])
def test_a_translated_chapter_has_every_formula_figure_and_cell_of_the_english(site, language, page):
    english = _get(urljoin(site, f"{page}.html"))
    translated = _get(urljoin(site, f"{TRANSLATED[language]['folder']}/{page}.html"))
    for part in ("<math", "<img", 'class="cell ', "<figcaption", 'class="admonition', 'class="solution', "<table"):
        assert translated.count(part) == english.count(part), f"{part}: {translated.count(part)} against {english.count(part)}"
    # Captions and alt texts are translated too: Chinese, and none left as the English has it.
    alts = re.findall(r'<img alt="([^"]+)"', english)
    assert alts and not set(alts) & set(re.findall(r'<img alt="([^"]+)"', translated))
    # Sphinx's own words too (locales/zh_CN/LC_MESSAGES/sphinx.po: the "#" links' tooltips).
    assert 'title="Link to this' in english and 'title="Link to this' not in translated
    caption = r'<span class="caption-number">图 \d+\.\d+ </span><span class="caption-text">[^<]*[\u4e00-\u9fff]'
    assert re.search(caption, translated), "numbered captions, in Chinese"


def test_chinese_pages_ask_for_the_systems_chinese_fonts(site):
    # No font is downloaded: the page's stylesheets name the fonts phones and laptops have.
    page = urljoin(site, "zh/notebooks/03_softmax_regression.html")
    css = "".join(_get(urljoin(page, href)) for href in re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', _get(page)))
    rule = re.search(r"html:lang\(zh-CN\)\s*\{([^}]*)\}", css)
    assert rule and all(font in rule.group(1) for font in ('"PingFang SC"', '"Microsoft YaHei"', '"Noto Sans CJK SC"'))

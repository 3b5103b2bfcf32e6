"""The book's editions (English, 中文): a link on every page to the same page in the others.

The editions are listed once, in _config.yml (``sphinx.config.editions``): each
language with the folder its pages are published under ("" for the site's root)
and the name its link shows. tools/build_book.py builds every edition from the same
notebooks and pages, a translated one from its message catalogs in locales/.
Each page links to itself in every other edition, for the reader (a switch at
the top of the article, in the other language's own words) and for search
engines (``<link rel="alternate" hreflang>``). A translated edition's figures get
their alt text from the catalogs too.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from docutils import nodes
from sphinx.locale import init as init_locale
from sphinx.util.i18n import docname_to_domain


def hreflang(language: str) -> str:
    """The BCP 47 tag of a Sphinx language name: ``zh_CN`` -> ``zh-CN``."""
    return language.replace("_", "-")


def edition_links(editions: dict, language: str, pagename: str) -> list[tuple[str, str, str]]:
    """(language, name, relative URL) of ``pagename`` in every edition but ``language``'s."""
    here = editions[language]["folder"]
    # From this page up to the site's root: one step per folder of the page, and one for the edition's.
    up = "../" * (pagename.count("/") + (1 if here else 0))
    return [
        (other, edition["name"], f"{up}{edition['folder'] + '/' if edition['folder'] else ''}{pagename}.html")
        for other, edition in editions.items()
        if other != language
    ]


def _add_links(app, pagename, templatename, context, doctree) -> None:
    editions = app.config.editions
    language = app.config.language or "en"
    if language not in editions:
        return
    links = edition_links(editions, language, pagename)
    anchors = " ".join(
        f'<a href="{escape(url)}" hreflang="{hreflang(other)}" lang="{hreflang(other)}">{escape(name)}</a>' for other, name, url in links
    )
    if "body" in context:
        context["body"] = f'<nav class="edition-switch" aria-label="{escape(editions[language]["switch"])}">{anchors}</nav>\n' + context["body"]
    alternates = "".join(f'<link rel="alternate" hreflang="{hreflang(other)}" href="{escape(url)}">\n' for other, _, url in links)
    context["metatags"] = context.get("metatags", "") + alternates


def _translate_alt_texts(app, doctree, docname: str) -> None:
    # An executed cell's figure becomes an image only when the page is written (myst-nb picks each
    # output's format for the builder), after Sphinx translated the page's text: its alt text is
    # translated here, from the page's catalog, as Sphinx translates the rest.
    language = app.config.language or "en"
    if language == "en" or app.builder.name == "gettext":
        return
    folders = [str(Path(app.srcdir) / folder) for folder in app.config.locale_dirs]
    catalog, found = init_locale(folders, language, docname_to_domain(docname, app.config.gettext_compact))
    if not found:
        return
    for image in doctree.findall(nodes.image):
        if image.get("alt"):
            image["alt"] = catalog.gettext(image["alt"])


def setup(app):
    app.add_config_value("editions", {}, "html")
    app.connect("html-page-context", _add_links)
    app.connect("doctree-resolved", _translate_alt_texts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

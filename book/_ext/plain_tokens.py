"""Code cells with fewer elements: a token that looks like plain text is written as plain text.

Pygments wraps every token of a code cell in a ``<span>``, names and punctuation
included, though the theme's light and dark styles (``pygments_light_style`` and
``pygments_dark_style`` in _config.yml) draw those exactly as the surrounding text.
On chapter 5 that was 4,800 of the page's 11,700 elements, each parsed, styled and
laid out on a phone's main thread (Lighthouse's total blocking time). The token
types that every style in use draws like ``Token.Text`` become ``Token.Text``,
which Pygments writes without a span: the text, and how it looks, stay the same
(book/_static/course.css lets a code block's <pre> take pygments.css's text colour).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pygments.formatters import HtmlFormatter
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Token

THEME_STYLES = ("pygments_light_style", "pygments_dark_style")  # pydata-sphinx-theme's options


def plain_types(style_names: Iterable[str]) -> frozenset:
    """The standard token types that each of the styles draws exactly as ``Token.Text``
    (colour, background, weight, slant, underline, border)."""
    styles = [get_style_by_name(name) for name in style_names]
    if not styles:
        return frozenset()
    return frozenset(t for t in STANDARD_TYPES if t is not Token.Text and all(s.style_for_token(t) == s.style_for_token(Token.Text) for s in styles))


class PlainTokensFormatter(HtmlFormatter):
    """Pygments' HTML formatter, with the token types of its ``plain_types`` option written as text."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.plain_types = frozenset(options.get("plain_types", ()))

    def format_unencoded(self, tokensource: Iterable, outfile) -> None:
        def tokens() -> Iterator:
            for token_type, value in tokensource:
                yield (Token.Text if token_type in self.plain_types else token_type), value

        super().format_unencoded(tokens(), outfile)


def _use_formatter(app) -> None:
    highlighter = getattr(app.builder, "highlighter", None)
    if highlighter is None or app.builder.format != "html":
        return
    options = app.config.html_theme_options or {}
    names = [options[key] for key in THEME_STYLES if options.get(key)]
    if len(names) < len(THEME_STYLES):  # the theme's own defaults: not known here, so every span stays
        return
    highlighter.formatter = PlainTokensFormatter
    highlighter.formatter_args["plain_types"] = plain_types(names)


def setup(app):
    app.connect("builder-inited", _use_formatter)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

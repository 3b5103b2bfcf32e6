"""book/_ext/plain_tokens.py: tokens drawn as plain text lose their span, and nothing else changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

CODE = "for x in range(3):\n    print(f'{x:d}', x + 1)  # a comment\n"


@pytest.fixture
def plain_tokens(load_source):
    return load_source("book/_ext/plain_tokens.py")


@pytest.fixture
def book_styles(plain_tokens):
    """The book's light and dark syntax styles, as _config.yml names them for the theme."""
    options = yaml.safe_load((Path(__file__).resolve().parents[1] / "_config.yml").read_text())["sphinx"]["config"]["html_theme_options"]
    return [options[key] for key in plain_tokens.THEME_STYLES]


def _classes(html: str) -> list[str]:
    return re.findall(r'<span class="([^"]*)"', html)


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_names_and_punctuation_lose_their_spans_in_the_books_styles(plain_tokens, book_styles):
    plain = plain_tokens.plain_types(book_styles)
    every = highlight(CODE, PythonLexer(), HtmlFormatter())
    lean = highlight(CODE, PythonLexer(), plain_tokens.PlainTokensFormatter(plain_types=plain))
    assert {"n", "p"} <= set(_classes(every))
    assert not {"n", "p"} & set(_classes(lean))
    # every coloured token keeps its span, and the text is the same
    assert [c for c in _classes(every) if c not in {"n", "p"}] == _classes(lean)
    assert _text(lean) == _text(every)


def test_a_token_type_is_plain_only_if_every_style_draws_it_as_text(plain_tokens, book_styles):
    from pygments.token import Token

    assert {Token.Name, Token.Punctuation} <= plain_tokens.plain_types(book_styles)
    assert Token.Operator not in plain_tokens.plain_types(book_styles)  # green in both
    # tango colours names and punctuation: with it among the styles, they keep their spans
    assert not {Token.Name, Token.Punctuation} & plain_tokens.plain_types([*book_styles, "tango"])
    assert plain_tokens.plain_types([]) == frozenset()

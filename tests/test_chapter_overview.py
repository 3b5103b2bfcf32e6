"""The instructor guide's exercise summaries (book/_ext/chapter_overview.py)."""

from __future__ import annotations

import pytest

from tests.conftest import REPO as ROOT


@pytest.fixture
def chapter_overview(load_source):
    return load_source("book/_ext/chapter_overview.py")


def test_a_summary_is_the_first_sentence(chapter_overview):
    assert chapter_overview.summary("Derive the gradient. Then check it with autograd.") == "Derive the gradient."
    assert chapter_overview.summary("Explain why it overflows. 1. Compute it.") == "Explain why it overflows."


def test_a_long_sentence_is_cut_at_a_word_with_an_ellipsis(chapter_overview):
    text = "Train " + "the model again " * 20 + "and compare."
    cut = chapter_overview.summary(text, limit=60)
    assert cut.endswith(" …") and len(cut) <= 62
    assert text.startswith(cut.removesuffix(" …")) and text[len(cut) - 2] == " ", "cut between words"


@pytest.mark.parametrize("mark", ["$", "`"])
def test_a_cut_never_leaves_math_or_code_open(chapter_overview, mark):
    text = f"Show that the derivative {mark}\\ell(z) = -[y \\log \\sigma(z) + (1 - y) \\log(1 - \\sigma(z))]{mark} is simple."
    cut = chapter_overview.summary(text, limit=50)
    assert cut.count(mark) % 2 == 0 and cut == "Show that the derivative …"


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_every_chapter_summary_is_whole(chapter_overview, notebook):
    for label, text in chapter_overview.chapter_facts(notebook)["exercises"]:
        cut = chapter_overview.summary(text)
        assert cut.count("$") % 2 == 0 and cut.count("`") % 2 == 0, f"{label}: {cut}"
        assert cut.endswith((".", "?", "!", "…", ".**")), f"{label} ends mid-sentence: {cut}"

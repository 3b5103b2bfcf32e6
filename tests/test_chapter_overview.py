"""The instructor guide's exercise summaries (book/_ext/chapter_overview.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("chapter_overview", ROOT / "book" / "_ext" / "chapter_overview.py")
chapter_overview = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chapter_overview)
summary = chapter_overview.summary


def test_a_summary_is_the_first_sentence():
    assert summary("Derive the gradient. Then check it with autograd.") == "Derive the gradient."
    assert summary("Explain why it overflows. 1. Compute it.") == "Explain why it overflows."


def test_a_long_sentence_is_cut_at_a_word_with_an_ellipsis():
    text = "Train " + "the model again " * 20 + "and compare."
    cut = summary(text, limit=60)
    assert cut.endswith(" …") and len(cut) <= 62
    assert text.startswith(cut.removesuffix(" …")) and text[len(cut) - 2] == " ", "cut between words"


@pytest.mark.parametrize("mark", ["$", "`"])
def test_a_cut_never_leaves_math_or_code_open(mark):
    text = f"Show that the derivative {mark}\\ell(z) = -[y \\log \\sigma(z) + (1 - y) \\log(1 - \\sigma(z))]{mark} is simple."
    cut = summary(text, limit=50)
    assert cut.count(mark) % 2 == 0 and cut == "Show that the derivative …"


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_every_chapter_summary_is_whole(notebook):
    for label, text in chapter_overview.chapter_facts(notebook)["exercises"]:
        cut = summary(text)
        assert cut.count("$") % 2 == 0 and cut.count("`") % 2 == 0, f"{label}: {cut}"
        assert cut.endswith((".", "?", "!", "…", ".**")), f"{label} ends mid-sentence: {cut}"

"""Bibliography labels in the form the text cites: "Glorot and Bengio, 2010", not "[GB10]".

The chapters cite author–year (``bibtex_reference_style: author_year``), but the
bibliography's labels come from pybtex's label style, "alpha" by default, so a
reader who follows "Glorot and Bengio (2010)" lands on "[GB10]". This registers
a pybtex label style that writes the same author–year text, and a formatting
style "authoryear" (pybtex's "unsrt" with those labels, sorted by author and
year) that _config.yml selects with ``bibtex_default_style``.
"""

from __future__ import annotations

from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def author_year(entry) -> str:
    """ "Last", "Last and Other" or "Last et al.", then the year: the text of an author–year citation."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [" ".join(person.last_names) for person in people]
    if len(names) > 2:
        who = f"{names[0]} et al."
    elif names:
        who = " and ".join(names)
    else:
        who = entry.fields.get("organization") or entry.fields.get("key") or entry.key
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [author_year(entry) for entry in entries]
        # Two works of the same authors and year become "2010a" and "2010b", as in the text.
        repeated, seen = Counter(labels), Counter()
        for label in labels:
            if repeated[label] > 1:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


class AuthorYearStyle(UnsrtStyle):
    default_label_style = "authoryear"
    default_sorting_style = "author_year_title"


def setup(app):
    register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

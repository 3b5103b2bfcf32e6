"""The translated editions' catalogs: what is missing or outdated, and what a translation must keep.

    python tools/translations.py [--language zh_CN] [FILE.po ...]

prints, for each page's catalog (locales/LANGUAGE/LC_MESSAGES/...), how many
messages are translated, outdated (fuzzy: the English changed since) and missing,
then every translated message that breaks a rule below; exit status 1 if any does.

A message is a paragraph's MyST (or a docstring's reST) source. Its translation must
keep, unchanged: the math (``$...$``, ``$$...$$``), the inline code, the target of every
role (``{term}`多层感知机 <multilayer perceptron>``` keeps ``multilayer perceptron``)
and every link's address. A glossary term (book/glossary.md) in the English is written
with the glossary's Chinese rendering, or left in English: one rendering per term.
The glossary's own term names stay English, since every ``{term}`` role targets them.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"

MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)
CODE = re.compile(r"``.+?``|`[^`\n]+`")
# A MyST role {name}`content` or a reST role :name:`content` (not one quoted as code: `{solution}`).
ROLE = re.compile(r"(?<!`)(?:\{([\w:-]+)\}|:([\w:-]+):)`([^`]*)`")
# reST that MyST shows as text: every page is MyST, so Sphinx reads each translation as MyST,
# the API page's docstring paragraphs (reST in English) included.
REST_ROLE = re.compile(r"(?<![\w`]):[\w-]+(?::[\w-]+)?:`")
REST_TEXT = re.compile(r"\\ |::\s*$")
LINK = re.compile(r"\]\(([^)\s]+)\)|<(https?://[^>\s]+)>")
# The explicit target of a role's content, ``text <target>``.
EXPLICIT_TARGET = re.compile(r"\s*<([^<>]+)>\s*$")


def role_target(name: str, content: str) -> str:
    """What a role points at: the ``<target>`` of ``text <target>``, or its whole content."""
    explicit = EXPLICIT_TARGET.search(content)
    target = (explicit.group(1) if explicit else content).strip()
    return target.lower() if name == "term" else target


def role_text(content: str) -> str:
    """What a role shows: its content without an explicit ``<target>``."""
    return EXPLICIT_TARGET.sub("", content).strip()


def markup(text: str) -> Counter:
    """The parts of a message that a translation must keep: math, code, role targets, link addresses."""
    parts: Counter = Counter()
    for match in ROLE.finditer(text):
        name = match.group(1) or match.group(2)
        parts[f"{{{name}}}{role_target(name, match.group(3))}"] += 1
    rest = ROLE.sub(" ", text)
    parts.update(m.group(0) for m in MATH.finditer(rest))
    rest = MATH.sub(" ", rest)
    parts.update(m.group(0) for m in CODE.finditer(rest))
    parts.update(m.group(1) or m.group(2) for m in LINK.finditer(rest))
    return parts


def glossary(path: Path = GLOSSARY) -> dict[str, list[str]]:
    """Each glossary term and its Chinese renderings (``迭代周期 (轮次)`` gives two)."""
    body = path.read_text(encoding="utf-8").split("```{glossary}", 1)[1].split("```", 1)[0]
    terms = {}
    for match in re.finditer(r"^(\S[^\n]*)\n  (.+?)\. ", body, re.M):
        renderings = re.findall(r"[^()]+", match.group(2))
        terms[match.group(1).strip()] = [r.strip() for r in renderings if r.strip()]
    return terms


def prose(text: str) -> str:
    """``text`` without its math, code and role targets: the words a reader reads."""
    text = ROLE.sub(lambda m: role_text(m.group(3)), text)
    return CODE.sub(" ", MATH.sub(" ", text))


def term_problems(english: str, translation: str, terms: dict[str, list[str]]) -> list[str]:
    """The glossary terms of ``english`` that ``translation`` renders neither the glossary's way nor in English."""
    problems = []
    words, rendered = prose(english), prose(translation).lower()
    for term, renderings in terms.items():
        if not re.search(rf"(?<![\w-]){re.escape(term)}(s|es)?(?![\w-])", words, re.I):
            continue
        if term.lower() in rendered or any(r.lower() in rendered for r in renderings):
            continue
        problems.append(f"the glossary term {term!r} is written neither {' or '.join(renderings)} nor in English")
    for match in ROLE.finditer(translation):
        name, content = match.group(1) or match.group(2), match.group(3)
        if name != "term" or "<" not in content:
            continue
        shown, target = role_text(content), role_target(name, content)
        options = next((r for t, r in terms.items() if t.lower() == target), [])
        if options and shown.lower() != target and not any(r in shown for r in options):
            problems.append(f"{{term}} {target!r} is shown as {shown!r}, not as the glossary's {' or '.join(options)}")
    return problems


def catalogs(language: str) -> list[Path]:
    """Every page's catalog of ``language`` (not sphinx.po, Sphinx's own words, which no page holds)."""
    folder = ROOT / "locales" / language / "LC_MESSAGES"
    return sorted(path for path in folder.rglob("*.po") if path != folder / "sphinx.po")


def page(catalog: Path) -> str:
    """The page a catalog translates (``notebooks/01_autograd``)."""
    parts = catalog.with_suffix("").parts
    return "/".join(parts[parts.index("LC_MESSAGES") + 1 :]) if "LC_MESSAGES" in parts else catalog.stem


def messages(catalog: Path):
    """The catalog's messages, the header left out."""
    with catalog.open("rb") as file:
        return [m for m in read_po(file) if m.id]


def counts(catalog: Path) -> dict[str, int]:
    """How many messages of a catalog are translated, outdated (fuzzy) and missing."""
    found = Counter("outdated" if m.fuzzy else "translated" if m.string else "missing" for m in messages(catalog))
    return {key: found[key] for key in ("translated", "outdated", "missing")}


def problems(catalog: Path, terms: dict[str, list[str]]) -> list[str]:
    """Every rule of this module's docstring that a translated message of ``catalog`` breaks."""
    found = []
    is_glossary = page(catalog) == "book/glossary"
    for message in messages(catalog):
        if not message.string or message.fuzzy:
            continue
        where = f"{page(catalog)}: {message.id[:60]!r}"
        lost, added = markup(message.id) - markup(message.string), markup(message.string) - markup(message.id)
        if lost or added:
            found.append(f"{where}: lost {sorted(lost)}, added {sorted(added)}")
        without_math = MATH.sub(" ", message.string)
        rest = message.string != message.id and (REST_ROLE.search(without_math) or REST_TEXT.search(CODE.sub(" ", without_math)))
        if rest:
            found.append(f"{where}: {rest.group(0)!r} is reST; Sphinx reads the translation as MyST ({{role}}`x`, no '\\ ', no '::')")
        if is_glossary and message.id in terms and message.string != message.id:
            found.append(f"{where}: a glossary term stays English ({{term}} roles target it)")
        found += [f"{where}: {p}" for p in term_problems(message.id, message.string, terms)]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default="zh_CN")
    parser.add_argument("--counts", action="store_true", help="print the counts only (what the book build reports)")
    parser.add_argument("files", nargs="*", type=Path, help="catalogs to check (default: every page's)")
    args = parser.parse_args()
    files = [f.resolve() for f in args.files] or catalogs(args.language)
    terms = glossary()
    found, total = [], Counter()
    for catalog in files:
        n = counts(catalog)
        total.update(n)
        if n["outdated"] or n["missing"] or not args.counts:
            print(f"{page(catalog)}: {n['translated']} translated, {n['outdated']} outdated, {n['missing']} missing")
        if not args.counts:
            found += problems(catalog, terms)
    summary = f"{total['translated']} of {sum(total.values())} messages translated, {total['outdated']} outdated, {total['missing']} missing"
    print(f"{args.language}: {summary}")
    if args.counts:
        return 0
    print("\n".join(found) or "no message breaks a rule")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

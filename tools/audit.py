"""Lighthouse (mobile) over the built book, served as a static host serves it: `make audit`.

    python -m tools.audit [PAGE ...] [--json _build/audit.json]

Runs Lighthouse 12 (tools/lighthouse, installed from its lock file on first use)
against Chromium (CHROME_PATH, or /usr/bin/chromium) for every page of the
book, or the PAGEs given (paths below _build/html), with its default mobile
settings (a simulated slow 4G network and a 4x slower CPU), and prints one row
per page. The targets for a chapter page are in TARGETS; the exit status is 1 if
a page misses one.

The performance score is a timing: measure it on a quiet machine (no other
PyTorch process) and read it as such. The tests check only what does not depend
on the machine's speed (tests/book/test_lighthouse.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tools import build_book, serve_book

ROOT = Path(__file__).resolve().parents[1]

HTML = serve_book.HTML
LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
# Headless Chromium as the build machines start it (tests/book/test_pages.py starts it so too).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
CATEGORIES = ("performance", "accessibility", "best-practices")
# The issue's targets for every chapter page: scores out of 100, and bytes transferred.
TARGETS = {"performance": 90, "accessibility": 100, "best-practices": 100}
MAX_BYTES = 1_000_000


def pages() -> list[str]:
    """Every page a reader can reach, in every edition: the book's pages and chapters (not search or index pages)."""
    found = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html"))
    return [p for p in found if any(p.startswith((f"{f}book/", f"{f}notebooks/")) for f in build_book.site_folders())]


def chromium_path() -> str:
    """CHROME_PATH if set, else Debian's or Ubuntu's Chromium."""
    if os.environ.get("CHROME_PATH"):
        return os.environ["CHROME_PATH"]
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    raise FileNotFoundError("no Chromium: install Debian's chromium package (apt-get install chromium), as .ci/run does, or set CHROME_PATH")


def lighthouse(url: str) -> dict:
    """Lighthouse's JSON report for one URL (mobile, default throttling)."""
    build_book.install_node_packages("tools/lighthouse", "Lighthouse runs in Node.js (tools/lighthouse)")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        env = {**os.environ, "CHROME_PATH": chromium_path()}
        command = [
            str(LIGHTHOUSE),
            url,
            "--output=json",
            f"--output-path={report}",
            "--quiet",
            "--form-factor=mobile",
            f"--chrome-flags={' '.join(CHROMIUM_ARGS)}",
        ]
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0 or not report.exists():
            raise RuntimeError(f"lighthouse failed on {url} (exit {result.returncode}):\n{result.stderr[-2000:]}")
        return json.loads(report.read_text())


def summary(report: dict) -> dict:
    """Scores out of 100, bytes transferred, and the failed audits that are not timings."""
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    failed = sorted(key for key, audit in report["audits"].items() if audit.get("scoreDisplayMode") == "binary" and audit.get("score") == 0)
    return {**scores, "bytes": int(report["audits"]["total-byte-weight"]["numericValue"]), "failed": failed}


def misses(row: dict) -> list[str]:
    """What a page misses of TARGETS and MAX_BYTES, in words."""
    out = [f"{name} {row[name]} < {target}" for name, target in TARGETS.items() if row[name] < target]
    if row["bytes"] > MAX_BYTES:
        out.append(f"{row['bytes'] / 1e6:.2f} MB > {MAX_BYTES / 1e6:.0f} MB")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages below _build/html (default: every page)")
    parser.add_argument("--json", type=Path, default=ROOT / "_build" / "audit.json")
    args = parser.parse_args()
    server, base = serve_book.start(HTML)
    rows = {}
    try:
        print(f"{'page':<42} {'perf':>5} {'a11y':>5} {'best':>5} {'kB':>6}  misses")
        for page in args.pages or pages():
            row = summary(lighthouse(base + page))
            rows[page] = row
            print(
                f"{page:<42} {row['performance']:>5} {row['accessibility']:>5} {row['best-practices']:>5} "
                f"{row['bytes'] / 1000:>6.0f}  {'; '.join(misses(row)) or '-'}",
                flush=True,
            )
    finally:
        server.shutdown()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=1) + "\n")
    chapters = {page: row for page, row in rows.items() if "notebooks/" in page}
    missed = {page: misses(row) for page, row in chapters.items() if misses(row)}
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

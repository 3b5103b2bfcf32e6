"""Lighthouse (mobile) on the intro and one chapter, in English and in Chinese: the targets that do not depend on the machine's speed.

Accessibility and best practices must score 100, and a page must weigh at most
1 MB as transferred (gzip, as a static host serves it). The performance score is
a timing, so it is measured by `make audit` on a quiet machine, never asserted
here; the audits behind it that are not timings (images sized, text compressed)
are.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tools import audit

PAGES = ["book/intro.html", "notebooks/03_softmax_regression.html", "zh/book/intro.html", "zh/notebooks/03_softmax_regression.html"]
# Performance audits that are facts about the page, not timings of this machine.
STRUCTURAL = ["unsized-images", "uses-text-compression"]


@pytest.fixture(scope="module")
def reports(site) -> dict[str, dict]:
    """Each page's report; two Lighthouse runs at a time (none of these audits is a timing)."""
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(PAGES, pool.map(audit.lighthouse, [site + page for page in PAGES]), strict=True))


@pytest.fixture(params=PAGES)
def report(request, reports) -> dict:
    return reports[request.param]


def test_accessibility_and_best_practices_score_100(report):
    row = audit.summary(report)
    failed = {key: report["audits"][key]["title"] for key in row["failed"]}
    assert (row["accessibility"], row["best-practices"]) == (100, 100), f"failed audits: {failed}"


def test_a_page_weighs_at_most_1_mb(report):
    assert audit.summary(report)["bytes"] <= audit.MAX_BYTES


@pytest.mark.parametrize("name", STRUCTURAL)
def test_performance_audits_that_are_not_timings_pass(report, name):
    assert report["audits"][name]["score"] == 1, report["audits"][name].get("displayValue", "")

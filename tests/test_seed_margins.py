"""bench/seed_margins.py reads the bounds from the check cells: its instrumentation, run here on small cells.

The benchmark itself executes every chapter five times (about 20 minutes); here the
rewriting of a check cell is executed on known values, and every chapter's check cells
are rewritten (not run) to show that they still parse and assert some bound.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import torch

from bench.seed_margins import _RECORDER, comparisons, instrument

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

CELL = """# Sanity check (hidden in the book): a demonstration
acc, xs, t = 0.97, [0.5, 0.9], torch.tensor([0.1, 0.4])
assert acc >= 0.98, acc
assert all(0 < x < 1 for x in xs) and abs(acc - 0.9712) < 1e-3
assert (t < 0.5).all()
assert ((t > 0.2) == torch.tensor([False, True])).all()
assert 0.5**29 < 2e-9 and {1} <= {1, 2} and acc == 0.97
# The numbers of the text, for seed 0
assert 0.96 < acc < 0.975
reached = True
"""


def run(source: str) -> dict:
    namespace = {"torch": torch}
    exec(_RECORDER, namespace)
    exec(instrument(source, 7)[0], namespace)
    return namespace


def test_each_asserted_comparison_records_its_worst_margin_and_the_cell_goes_on():
    namespace = run(CELL)
    assert namespace["reached"], "a failing assert stopped the cell"
    found = {c.source: c for c in instrument(CELL, 7)[1]}
    margins = {c.source: namespace["_seed_margin"].records[c.key] for c in found.values()}
    assert margins["acc >= 0.98"]["margin"] == pytest.approx(-0.01)  # fails: a negative margin
    assert margins["0 < x"]["margin"] == pytest.approx(0.5)  # the worst pass of all(...)
    assert margins["x < 1"]["margin"] == pytest.approx(0.1)
    assert margins["t < 0.5"]["margin"] == pytest.approx(0.1)  # the worst element
    assert "error" in margins["{1} <= {1, 2}"]  # not a quantity
    assert found["abs(acc - 0.9712) < 0.001"].pin and not found["acc >= 0.98"].pin
    assert found["0.96 < acc"].pin and found["acc < 0.975"].pin  # below the line that marks the text's numbers


def test_a_chapter_may_use_any_name_of_its_own():
    # Names a chapter might define (the recorder's helpers once lived in such globals).
    namespace = run("_size = _margins = _margin = records = None\n" + CELL)
    found = {c.source: c for c in instrument("_size = _margins = _margin = records = None\n" + CELL, 7)[1]}
    assert namespace["_seed_margin"].records[found["acc >= 0.98"].key]["margin"] == pytest.approx(-0.01)
    assert namespace["_seed_margin"].records[found["t < 0.5"].key]["margin"] == pytest.approx(0.1)


def test_masks_counts_and_arithmetic_are_not_bounds():
    sources = {c.source for c in instrument(CELL, 7)[1]}
    assert "t > 0.2" not in sources  # compared with ==, not asserted on its own
    assert not any("0.5 ** 29" in s for s in sources)  # numbers only


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_every_chapters_check_cells_are_read(path):
    nb = nbformat.read(path, as_version=4)
    found = comparisons(nb)
    assert sum(not c.pin for c in found) >= 20, "a chapter whose checks bound nothing"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.startswith("# Sanity check"):
            compile(instrument(cell.source, i)[0], f"{path.stem} cell {i}", "exec")

"""How much margin each bound of the chapters' check cells keeps, over several seeds.

    python -m bench.seed_margins [--seeds 0 1 2 3 4] [--chapters 03 05] [--native] [--report]

A check such as "test accuracy >= 0.98 after 10 epochs" must hold on every
student's machine, whose kernels round differently and so follow another
trajectory. Another random seed is a much larger perturbation of the same kind,
so a bound that holds over several seeds holds over machines with room to spare.

The bounds are read from the check cells themselves. Each chapter is executed
once per seed, with its ``coursekit.set_seed(0)`` replaced by ``set_seed(seed)``,
under PyTorch's generic kernels and one thread (``ATEN_CPU_CAPABILITY=default``,
the slowest and least common configuration; ``--native`` uses this machine's).
In the copy that runs, every ordered comparison (``<``, ``<=``, ``>``, ``>=``)
inside an ``assert`` of a check cell records its margin, how far it is from
failing (the side that must be larger minus the other; for tensors the worst
element; in ``all(...)`` the worst pass), and the ``assert`` no longer stops
the cell. A comparison that pins a number the prose quotes for seed 0 is a
*pin*, expected to fail for other seeds: one of the form ``abs(x - 0.8312) < tol``,
or any below a line ``# the numbers of the text, for seed 0`` of its cell. Every
other comparison is a *bound* and must keep a positive margin for every seed.
Written to bench/results/seed_margins.json; exit status 1 if a bound fails.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from bench.common import machine
from tools.run_notebook import execute

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "seed_margins.json"
CHECK_CELL = "# Sanity check"
TEXT_NUMBERS = re.compile(r"^[ \t]*# the numbers of the text", re.I | re.M)  # below it: pins
ORDERED = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}

# Runs in the kernel first. The margin of a < b is b - a; tensors and arrays give their worst element.
# A Python bool result becomes True so that `and` and `all(...)` go on to the other comparisons; a
# tensor result is returned as it is, for the `.all()` that follows it.
_RECORDER = """\
def _seed_margin(key, left, op, right):
    # Everything it uses is its own: a chapter may define any name (a `_size` of its own did
    # once replace a helper of this cell, and every comparison after it went unrecorded).
    records = _seed_margin.records
    result = {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    try:
        left, right = (v.detach() if hasattr(v, "detach") else v for v in (left, right))  # float() of a graph warns
        diff = (right - left) if op in ("<", "<=") else (left - right)
        margin = float(diff.min()) if hasattr(diff, "min") else float(diff)
        scale = max(float(abs(v).max()) if hasattr(v, "max") else abs(float(v)) for v in (left, right))
    except (TypeError, ValueError, RuntimeError) as error:  # sets, strings: not a quantity
        records.setdefault(key, {"error": repr(error)})
    else:
        if margin < records.get(key, {}).get("margin", float("inf")):
            records[key] = {"margin": margin, "scale": scale}
    return result if hasattr(result, "all") else True
_seed_margin.records = {}
"""
_REPORT = "import json as _json\nprint('MARGINS ' + _json.dumps(_seed_margin.records))"


@dataclass(frozen=True)
class Comparison:
    """One ordered comparison of a check cell's asserts."""

    key: str  # "cell:position", the name the kernel records it under
    cell: str  # the check cell's first line, without the marker
    source: str  # e.g. "final_acc >= 0.98"
    op: str
    pin: bool  # abs(x - constant) < tol: a number of the text for seed 0


def _is_number(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp):
        return _is_number(node.operand)
    return isinstance(node, ast.BinOp) and _is_number(node.left) and _is_number(node.right)


def _is_pin(node: ast.expr) -> bool:
    """abs(x - c), abs(c - x) or abs(x + c) with c a number: a distance to a quoted value."""
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "abs"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.BinOp)
        and isinstance(node.args[0].op, ast.Sub | ast.Add)
        and (_is_number(node.args[0].left) or _is_number(node.args[0].right))
    )


class _Instrument(ast.NodeTransformer):
    """Asserts become expressions; the ordered comparisons they assert call _seed_margin."""

    def __init__(self, cell: int, title: str, pins_from: float) -> None:
        self.cell, self.title, self.pins_from, self.found = cell, title, pins_from, []

    def visit_Assert(self, node: ast.Assert) -> ast.Expr:
        return ast.Expr(self._asserted(node.test))

    def _asserted(self, node: ast.expr) -> ast.expr:
        """Instrument what ``node`` asserts: a comparison, each operand of ``and``, the items of ``all``.

        A comparison inside anything else (``(x > 0.5) == t``, a mask, a count) is not asserted
        on its own and is left as it is.
        """
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            node.values = [self._asserted(v) for v in node.values]
        elif isinstance(node, ast.Call) and "all" in (getattr(node.func, "id", None), getattr(node.func, "attr", None)):
            if not node.args and isinstance(node.func, ast.Attribute):  # (x < 1).all()
                node.func.value = self._asserted(node.func.value)
            elif len(node.args) == 1 and isinstance(node.args[0], ast.GeneratorExp | ast.ListComp):
                node.args[0].elt = self._asserted(node.args[0].elt)
            elif len(node.args) == 1 and isinstance(node.args[0], ast.List | ast.Tuple):
                node.args[0].elts = [self._asserted(e) for e in node.args[0].elts]
            elif len(node.args) == 1:  # torch.all(x < 1)
                node.args[0] = self._asserted(node.args[0])
        return node

    def _compare(self, node: ast.Compare) -> ast.expr:
        # a < b < c: each pair on its own (the middle operand is evaluated twice, harmless in a check).
        # Pairs of numbers alone (0.5 ** 29 < 2e-9) are arithmetic, not a measurement: left as they are.
        operands, pairs = [node.left, *node.comparators], []
        for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True):
            if type(op) not in ORDERED or (_is_number(left) and _is_number(right)):
                pairs.append(ast.Compare(left, [op], [right]))
                continue
            key, symbol = f"{self.cell}:{len(self.found)}", ORDERED[type(op)]
            source = f"{ast.unparse(left)} {symbol} {ast.unparse(right)}"
            pin = _is_pin(left) or _is_pin(right) or node.lineno > self.pins_from
            self.found.append(Comparison(key, self.title, source, symbol, pin))
            pairs.append(ast.Call(ast.Name("_seed_margin", ast.Load()), [ast.Constant(key), left, ast.Constant(symbol), right], []))
        return pairs[0] if len(pairs) == 1 else ast.BoolOp(ast.And(), pairs)


def instrument(source: str, cell: int) -> tuple[str, list[Comparison]]:
    """A check cell's code with its asserts recording margins, and the comparisons it records."""
    title = source.splitlines()[0].removeprefix(CHECK_CELL).removeprefix(" (hidden in the book):").strip()
    marker = TEXT_NUMBERS.search(source)
    transformer = _Instrument(cell, title, source.count("\n", 0, marker.start()) + 1 if marker else float("inf"))
    tree = ast.fix_missing_locations(transformer.visit(ast.parse(source)))
    return ast.unparse(tree), transformer.found


def comparisons(nb: nbformat.NotebookNode) -> list[Comparison]:
    """Every ordered comparison in the asserts of the notebook's check cells."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.startswith(CHECK_CELL):
            found += instrument(cell.source, i)[1]
    return found


def checks_digest(nb: nbformat.NotebookNode) -> str:
    """A digest of the check cells: margins recorded under another version of them do not apply."""
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and c.source.startswith(CHECK_CELL))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def seeded_and_instrumented(seed: int):
    """A notebook edit: set the seed; make every check cell record its margins instead of asserting."""

    def edit(nb) -> None:
        seeded = [c for c in nb.cells if c.cell_type == "code" and "coursekit.set_seed(0)" in c.source]
        if len(seeded) != 1:
            raise RuntimeError(f"expected one cell with coursekit.set_seed(0), found {len(seeded)}")
        seeded[0].source = seeded[0].source.replace("coursekit.set_seed(0)", f"coursekit.set_seed({seed})")
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and cell.source.startswith(CHECK_CELL):
                cell.source = instrument(cell.source, i)[0]
        nb.cells.insert(0, nbformat.v4.new_code_cell(_RECORDER))

    return edit


def rows(stem: str, found: list[Comparison], by_seed: dict[str, dict]) -> list[dict]:
    """One row per comparison: its worst margin over the seeds, relative to the quantity's size."""
    out = []
    for c in found:
        margins = {s: r[c.key] for s, r in by_seed.items() if "margin" in r.get(c.key, {})}
        if not margins:
            continue
        seed, worst = min(margins.items(), key=lambda item: item[1]["margin"])
        relative = worst["margin"] / worst["scale"] if worst["scale"] else None
        holds = worst["margin"] > 0 or (worst["margin"] == 0 and c.op in ("<=", ">="))
        out.append(
            {"chapter": stem, "cell": c.cell, "check": c.source, "kind": "pin" if c.pin else "bound", "holds": holds, "margin": worst["margin"],
             "relative": relative, "worst_seed": seed, "by_seed": {s: m["margin"] for s, m in margins.items()}}
        )  # fmt: skip
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--chapters", nargs="+", default=[""], help="chapter stems or their numbers (default: all)")
    parser.add_argument("--native", action="store_true", help="this CPU's kernels and threads instead of generic kernels on 1 thread")
    parser.add_argument("--report", action="store_true", help="run nothing: print the table from the record")
    args = parser.parse_args()
    paths = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if any(p.stem.startswith(c) for c in args.chapters))
    env = dict(os.environ)
    if not args.native:
        env.update(ATEN_CPU_CAPABILITY="default", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    record = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    checks: dict[str, str] = record.get("checks", {})
    table: list[dict] = record.get("rows", [])
    for path in [] if args.report else paths:
        nb, by_seed = nbformat.read(path, as_version=4), {}
        for seed in args.seeds:
            run = execute(path, 1200, env=env, threads=None if args.native else 1,
                          edit=seeded_and_instrumented(seed), extra_cells=[_REPORT], allow_errors=True)  # fmt: skip
            if "MARGINS " not in run.outputs[0]:
                raise RuntimeError(f"{path.stem} seed {seed}: the kernel reported no margins:\n" + "\n".join(run.problems))
            by_seed[str(seed)] = json.loads(run.outputs[0].split("MARGINS ", 1)[1])
            print(f"{path.stem} seed {seed}: {run.seconds:.0f} s, {len(run.problems)} cell(s) raised", flush=True)
            for problem in run.problems:
                print("    " + problem.splitlines()[0][:160], flush=True)
        checks[path.stem] = checks_digest(nb)
        table = [r for r in table if r["chapter"] != path.stem] + rows(path.stem, comparisons(nb), by_seed)
    for stem, digest in checks.items():
        if digest != checks_digest(nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)):
            raise SystemExit(f"{stem}'s check cells changed since their margins were measured: run --chapters {stem[:2]}")
    kernels = "this CPU's, all threads" if args.native else "ATEN_CPU_CAPABILITY=default, 1 thread"
    measured = {"machine": machine(), "kernels": kernels} if not args.report else {k: record[k] for k in ("machine", "kernels")}
    rows_text = ",\n".join("  " + json.dumps(r) for r in sorted(table, key=lambda r: r["chapter"]))  # a row a line
    head = json.dumps({**measured, "checks": checks}, indent=1)[:-2]
    RESULTS.write_text(f'{head},\n "rows": [\n{rows_text}\n ]\n}}\n')
    bounds = sorted((r for r in table if r["kind"] == "bound"), key=lambda r: (r["relative"] is None, r["relative"] or r["margin"]))
    failing = [r for r in bounds if not r["holds"]]
    print(f"\n{len(bounds)} bounds, {len(table) - len(bounds)} pins; the tightest bounds (margin relative to the larger side):")
    print("| chapter | check cell | bound | worst margin | relative | worst seed |\n|---|---|---|---|---|---|")
    for r in failing + [r for r in bounds if r["holds"]][:25]:
        relative = "" if r["relative"] is None else f"{r['relative']:+.2g}"
        print(f"| {r['chapter'][:2]} | {r['cell'][:40]} | `{r['check']}` | {r['margin']:+.4g} | {relative} | {r['worst_seed']} |")
    if failing:
        print(f"\n{len(failing)} bound(s) fail for some seed: " + "; ".join(f"{r['chapter'][:2]} {r['check']}" for r in failing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

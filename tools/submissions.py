"""Synthetic submissions of a built assignment, for tests/test_assignments.py and bench/grading.py.

A submission is the student notebook as handed out, with its answer cells filled
in: by default with the solutions (full marks), or with code of your own for
some questions, and extra cells where you want them.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ANSWER_TAG = "otter_answer_cell"  # otter's tag for the cells a student fills in
SOLUTION_TAG = "otter_assign_solution_cell"  # the same cells in the solutions notebook
DEFINITION = re.compile(r"^(?:def|class) (\w+)\(", re.M)

# One realistic mistake per auto-graded question: the question it breaks, and the code.
WRONG_ANSWERS = {
    "03_softmax_regression": {
        "q1": ("cross_entropy_logits", "def cross_entropy_logits(O, y):\n    return torch.log(torch.exp(O).sum(dim=1)) - O[torch.arange(len(y)), y]"),
        "q2": (
            "softmax_regression_grads",
            "def softmax_regression_grads(X, y, W, b):\n"
            "    G = torch.softmax(X @ W + b, dim=1) - F.one_hot(y, W.shape[1]).float()\n"
            "    return X.T @ G, G.sum(dim=0)  # the sum's gradient: the mean's times n",
        ),
        "q3": ("logistic_from_softmax", "def logistic_from_softmax(W, b):\n    return W[:, 0] - W[:, 1], b[0] - b[1]"),
    },
    "04_loss_functions": {
        "q1": (
            "smoothed_cross_entropy",
            "def smoothed_cross_entropy(logits, target, eps):\n"
            "    q = (1 - eps) * F.one_hot(target, logits.shape[1]) + eps  # eps, not eps / K\n"
            "    return -(q * F.log_softmax(logits, dim=1)).sum(dim=1).mean()",
        ),
        "q2": (
            "binary_focal_loss",
            "def binary_focal_loss(logits, target, alpha, gamma):\n"
            "    p_t = torch.where(target == 1, torch.sigmoid(logits), 1 - torch.sigmoid(logits))\n"
            "    return (alpha * (1 - p_t) ** gamma * -torch.log(p_t)).mean()  # alpha for both classes",
        ),
        "q3": (
            "soft_threshold",
            "def soft_threshold(w, t):\n    return torch.where(w.abs() > t, w, torch.zeros_like(w))  # hard, not soft, thresholding\n\n\n"
            "def sparse_fit(X, y, lam, lr=0.05, num_steps=300):\n"
            "    w = torch.zeros(X.shape[1], dtype=X.dtype)\n"
            "    for _ in range(num_steps):\n"
            "        w = soft_threshold(w - lr * X.T @ (X @ w - y) / len(y), lr * lam)\n"
            "    return w",
        ),
        "q4": (
            "huber_loss",
            "def huber_loss(y_hat, y, delta=1.0):\n"
            "    r = (y_hat - y).abs()\n"
            "    return torch.where(r > delta, r, 0.5 * r**2)  # the linear part lacks its delta and offset",
        ),
    },
}


def _notebook(assignment: Path, edition: str) -> nbformat.NotebookNode:
    name = assignment.name
    return nbformat.read(assignment / edition / f"{name}.ipynb", as_version=4)


def solution_answers(assignment: Path) -> list[str]:
    """The solutions of the code answer cells, in the order of the student notebook."""
    solutions = _notebook(assignment, "solutions")
    return [cell.source for cell in solutions.cells if cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", [])]


def student_notebook(assignment: Path) -> nbformat.NotebookNode:
    """The student notebook as handed out."""
    return _notebook(assignment, "student")


def _defines(source: str, name: str) -> bool:
    return f"def {name}(" in source or f"class {name}(" in source


def submission(
    assignment: Path,
    answers: dict[str, str] | None = None,
    extra_cells: dict[str, str] | None = None,
) -> nbformat.NotebookNode:
    """The student notebook with every code answer cell solved, except those ``answers`` replaces.

    ``answers`` maps a name that the solution defines (``"cross_entropy_logits"``) to the code
    that replaces that answer cell; ``extra_cells`` maps such a name to a code cell inserted
    just after that answer cell (``"start"`` puts it before the first cell, ``"end"`` after the last).
    """
    answers, extra_cells = answers or {}, extra_cells or {}
    nb = student_notebook(assignment)
    solved = iter(solution_answers(assignment))
    cells = [nbformat.v4.new_code_cell(extra_cells["start"])] if "start" in extra_cells else []
    replaced, placed = set(), set()
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code" or ANSWER_TAG not in cell.metadata.get("tags", []):
            continue
        source = solution = next(solved)
        for name, code in answers.items():
            if _defines(solution, name):
                source = code
                replaced.add(name)
        dropped = [name for name in DEFINITION.findall(solution) if not _defines(source, name)]
        if dropped:
            raise ValueError(f"the code that replaces an answer cell drops {dropped}, which the cell also defines: define them too")
        cell.source = source
        for name, code in extra_cells.items():
            if _defines(source, name):
                cells.append(nbformat.v4.new_code_cell(code))
                placed.add(name)
    if "end" in extra_cells:
        cells.append(nbformat.v4.new_code_cell(extra_cells["end"]))
    unknown = (set(answers) - replaced) | (set(extra_cells) - placed - {"start", "end"})
    if unknown:
        raise KeyError(f"no answer cell defines {sorted(unknown)}")
    nb.cells = cells
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path

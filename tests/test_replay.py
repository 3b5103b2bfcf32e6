"""tools/replay.py: the tests run against the answers' recorded calls, outside the process that made them (issue #30).

Each test records in this process (as the student's kernel would, answers and all) and judges
in this process too, which is what matters here: the judge never calls an answer, so what it
checks is the record. That the judge runs in a fresh process is tools/grade.py's part, tested
in test_assignments.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import torch

from tools import replay

# The head of an otter test file, as tools/assignments.py writes them.
HEAD = """\
from otter.test_files import test_case

OK_FORMAT = False

name = "{name}"
points = {points}
all_or_nothing = True
"""

TESTS = (
    HEAD.format(name="q1", points=2)
    + """

@test_case(points=None, hidden=False)
def test_values(square):
    import torch

    x = torch.tensor([1.0, -2.0, 3.0])
    assert torch.allclose(square(x), torch.tensor([1.0, 4.0, 9.0]))


@test_case(points=None, hidden=True)
def test_random_inputs_and_in_place(square):
    import torch

    torch.manual_seed(0)
    x = torch.randn(5, dtype=torch.float64)
    before = x.clone()
    assert torch.allclose(square(x), before**2)
    assert torch.equal(x, before), "changed in place"
"""
)

MODULE_TESTS = (
    HEAD.format(name="q2", points=1)
    + """

@test_case(points=None, hidden=True)
def test_module(Net):
    import torch

    torch.manual_seed(1)
    net = Net()
    linear = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in linear] == [(4, 3), (2, 4)]
    assert [m.p for m in net.modules() if isinstance(m, torch.nn.Dropout)] == [0.5]
    X = torch.randn(6, 3)
    net.train()
    assert not torch.equal(net(X), net(X)), "dropout is random in training mode"
    net.eval()
    expected = linear[1](torch.relu(linear[0](X)))
    assert torch.allclose(net(X), expected, atol=1e-6)
"""
)


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(4, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class NoDropout(Net):
    """Claims nothing it lacks, but has no dropout: its training-mode passes agree."""

    def __init__(self) -> None:
        super().__init__()
        self.body[2] = torch.nn.Identity()


def _square(x):
    return x**2


def _square_in_place(x):
    return x.mul_(x)


def _judge(tmp_path: Path, env: dict, source: str = TESTS, rebound: dict | None = None) -> dict[str, dict]:
    """Record ``env``'s answers with the tests (and torch's ``rebound`` functions, as a notebook could), then judge."""
    tests = tmp_path / "tests"
    tests.mkdir(exist_ok=True)
    name = re.search(r'^name = "(\w+)"', source, re.M).group(1)
    (tests / f"{name}.py").write_text(source)
    with zipfile.ZipFile(tmp_path / "autograder.zip", "w") as zf:
        zf.writestr(f"tests/{name}.py", source)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (rebound or {}).items():
            patch.setattr(torch, name, value)
        replay.record(env, tests, tmp_path / "answers.pt")
    return replay.judge(tmp_path / "answers.pt", replay.test_sources(tmp_path / "autograder.zip"))


def test_a_right_answer_scores_in_the_judge(tmp_path):
    assert _judge(tmp_path, {"square": _square})["q1"]["score"] == 2


def test_a_wrong_answer_with_the_checks_rebound_scores_nothing(tmp_path):
    # What otter alone would give it: full marks (the tests run in the process that rebound them).
    always = {"allclose": lambda *args, **kwargs: True, "equal": lambda *args, **kwargs: True}
    judged = _judge(tmp_path, {"square": lambda x: x * 3}, rebound=always)
    assert judged["q1"]["score"] == 0
    assert "AssertionError" in judged["q1"]["report"]


def test_a_change_in_place_is_replayed(tmp_path):
    judged = _judge(tmp_path, {"square": _square_in_place})
    assert judged["q1"]["score"] == 0 and "changed in place" in judged["q1"]["report"]


def test_inputs_changed_in_the_notebooks_process_are_a_mismatch(tmp_path):
    # A notebook that makes the tests' random inputs ones (whose squares it knows) gains nothing by it.
    ones = {"randn": lambda *shape, **kwargs: torch.ones(*shape, dtype=kwargs.get("dtype"))}
    judged = _judge(tmp_path, {"square": lambda x: torch.ones_like(x)}, rebound=ones)
    assert judged["q1"]["score"] == 0 and "got other inputs" in judged["q1"]["report"]


def test_an_answer_that_raises_fails_with_its_error(tmp_path):
    def broken(x):
        raise NotImplementedError("not yet")

    judged = _judge(tmp_path, {"square": broken})
    assert judged["q1"]["score"] == 0 and "NotImplementedError: not yet" in judged["q1"]["report"]


def test_a_missing_answer_scores_nothing(tmp_path):
    judged = _judge(tmp_path, {})
    assert judged["q1"]["score"] == 0 and "NoneType" in judged["q1"]["report"]


def test_a_return_value_the_judge_cannot_check_is_named(tmp_path):
    judged = _judge(tmp_path, {"square": lambda x: iter([x])})
    assert judged["q1"]["score"] == 0 and "list_iterator" in judged["q1"]["report"]


def test_a_module_is_rebuilt_from_torch_nn_and_its_own_forward_replayed(tmp_path):
    judged = _judge(tmp_path, {"Net": Net}, MODULE_TESTS)
    assert judged["q2"]["score"] == 1, judged["q2"]["report"]


def test_a_module_without_the_layer_fails_in_the_judge(tmp_path):
    differ = {"equal": lambda *args, **kwargs: False}  # its passes "differ" in its own process
    judged = _judge(tmp_path, {"Net": NoDropout}, MODULE_TESTS, rebound=differ)
    assert judged["q2"]["score"] == 0 and "torch.nn.Dropout" in judged["q2"]["report"]


def test_the_judge_reads_the_record_as_data_only(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("code ran while loading",))

    torch.save({"q1": {"events": {}, "modules": [], "values": {"square": Payload()}}}, tmp_path / "answers.pt")
    with zipfile.ZipFile(tmp_path / "autograder.zip", "w") as zf:
        zf.writestr("tests/q1.py", TESTS)
    with pytest.raises(Exception, match="Weights only load failed|Unsupported"):
        replay.judge(tmp_path / "answers.pt", replay.test_sources(tmp_path / "autograder.zip"))

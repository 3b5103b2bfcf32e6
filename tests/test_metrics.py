"""coursekit.metrics: accuracy, Accumulator, evaluation (parity with d2l: test_d2l_parity.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import coursekit
from coursekit.metrics import loss_sum
from coursekit.utils import batches_on, eval_mode


def test_accuracy_counts_correct_predictions():
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = torch.tensor([0, 2])
    assert coursekit.accuracy(y_hat, y) == 1.0  # a count: divide by len(y) for 0.5
    assert coursekit.accuracy(torch.tensor([2, 2]), y) == 1.0  # predicted classes work too


def test_accuracy_refuses_binary_scores_instead_of_miscounting():
    logits, y = torch.tensor([2.3, -1.0, 0.7, -0.2]), torch.tensor([1, 0, 1, 0])
    with pytest.raises(ValueError, match="threshold it first"):
        coursekit.accuracy(logits, y)  # d2l casts to int64 and counts 1 of 4
    with pytest.raises(ValueError, match="threshold it"):
        coursekit.accuracy(logits[:, None], y)
    assert coursekit.accuracy((logits > 0).long(), y) == 4.0
    with pytest.raises(ValueError, match="one float per example"):
        coursekit.accuracy(torch.tensor([1.0, 0.0, 1.0, 0.0]), y)  # floats are scores, even whole ones


def test_accuracy_rejects_mismatched_batches():
    with pytest.raises(ValueError, match="3 predictions but y holds 2 labels"):
        coursekit.accuracy(torch.zeros(3, 10), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="cannot be compared.*squeeze"):
        coursekit.accuracy(torch.zeros(2, 1, dtype=torch.long), torch.zeros(2, dtype=torch.long))


def test_accumulator():
    metric = coursekit.Accumulator(2)
    metric.add(3, 10)
    metric.add(torch.tensor(4.0), 10)
    assert (metric[0], metric[1]) == (7.0, 20.0) and len(metric) == 2
    metric.reset()
    assert metric.data == [0.0, 0.0]


def test_accumulator_rejects_the_wrong_number_of_values():
    metric = coursekit.Accumulator(3)
    with pytest.raises(ValueError, match="got 2 values but this Accumulator keeps 3 sums"):
        metric.add(1, 2)
    with pytest.raises(ValueError, match="positive number"):
        coursekit.Accumulator(0)


def _data(n=50, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 4, generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    return [(X[i : i + 16], y[i : i + 16]) for i in range(0, n, 16)]


def test_evaluate_accuracy_restores_the_mode_and_takes_a_function():
    net = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))
    net.train()
    coursekit.evaluate_accuracy(net, _data())
    assert net.training, "put back in training mode"
    net.eval()
    coursekit.evaluate_accuracy(net, _data())
    assert not net.training
    W = torch.randn(4, 3)
    assert 0 <= coursekit.evaluate_accuracy(lambda X: X @ W, _data()) <= 1
    with pytest.raises(ValueError, match="no examples"):
        coursekit.evaluate_accuracy(net, [])


def test_evaluate_loss_with_either_reduction():
    torch.manual_seed(0)
    net = nn.Linear(4, 3)
    data = _data()
    none = coursekit.evaluate_loss(net, data, nn.CrossEntropyLoss(reduction="none"))
    mean = coursekit.evaluate_loss(net, data, nn.CrossEntropyLoss())
    X = torch.cat([X for X, _ in data])
    y = torch.cat([y for _, y in data])
    expected = nn.functional.cross_entropy(net(X), y).item()
    assert abs(none - expected) < 1e-6 and abs(mean - expected) < 1e-6


def test_loss_sum_and_helpers():
    assert loss_sum(torch.tensor([1.0, 2.0]), 2).item() == 3.0
    assert loss_sum(torch.tensor(1.5), 4).item() == 6.0
    data = _data()
    assert list(batches_on(data, None)) == data
    # The meta device holds shapes without memory: a move that every machine can make.
    moved = list(batches_on(data, "meta"))
    assert [(X.device.type, y.device.type) for X, y in moved] == [("meta", "meta")] * len(data)
    assert [(X.shape, y.shape) for X, y in moved] == [(X.shape, y.shape) for X, y in data]
    there = list(batches_on(data, "cpu"))
    assert all(X is X0 and y is y0 for (X, y), (X0, y0) in zip(there, data, strict=True)), "batches already there are not copied"
    net = nn.Dropout()
    with eval_mode(net):
        assert not net.training
    assert net.training


def test_accuracy_refuses_scores_it_cannot_rank():
    # A score per class and per position (a sequence model's (batch, classes, length)):
    # the arg-max over dim 1 used to be compared position by position: 6 "correct" of 2 examples.
    y_hat, y = torch.zeros(2, 3, 3), torch.tensor([[0, 1, 2], [0, 1, 0]])
    y_hat[0, 0, 0] = y_hat[0, 1, 1] = y_hat[0, 2, 2] = y_hat[1, 0, 0] = y_hat[1, 1, 1] = 1.0
    with pytest.raises(ValueError, match=r"shape \(2, 3, 3\).*movedim"):
        coursekit.accuracy(y_hat, y)
    with pytest.raises(ValueError, match="0-d"):
        coursekit.accuracy(torch.tensor(1), torch.tensor(1))  # was a bare IndexError
    with pytest.raises(ValueError, match="0-d"):
        coursekit.accuracy(torch.zeros(1, 3), torch.tensor(1))


def test_accuracy_refuses_non_finite_scores():
    y = torch.tensor([0, 1])
    with pytest.raises(ValueError, match="6 non-finite scores"):
        coursekit.accuracy(torch.full((2, 3), float("nan")), y)  # arg-max would call every NaN row class 0
    with pytest.raises(ValueError, match="1 non-finite score "):
        coursekit.accuracy(torch.tensor([[0.0, float("inf"), 1.0], [2.0, 0.0, 1.0]]), y)


def test_evaluate_refuses_a_model_whose_scores_are_nan():
    nan_model = lambda X: torch.full((len(X), 3), float("nan"))  # noqa: E731
    with pytest.raises(ValueError, match="non-finite scores"):
        coursekit.evaluate_accuracy(nan_model, _data())  # counted about a third of the examples correct
    with pytest.raises(ValueError, match="non-finite scores"):
        coursekit.evaluate(nan_model, _data(), nn.CrossEntropyLoss())

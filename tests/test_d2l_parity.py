"""coursekit against the d2l 0.17.6 reference: same numbers, and d2l's warning that coursekit avoids.

Every test here asks for the ``d2l`` fixture (tests/conftest.py), so without d2l
these tests alone are skipped, with the reason in the report; the other tests of
coursekit never need it.
"""

from __future__ import annotations

import copy
import warnings

import pytest
import torch
from test_metrics import _data
from test_train import NUM_CLASSES, NUM_INPUTS, _batches, _train_in_fresh_process
from torch import nn

import coursekit


def _d2l_quietly(fn, *args):
    # d2l's train_epoch_ch3 calls float() on a tensor that requires grad, which
    # PyTorch warns about (one of the faults coursekit fixes); silence it here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args)


def test_parity_with_d2l_module_and_optimizer(d2l):
    torch.manual_seed(0)
    net_ours = nn.Sequential(nn.Flatten(), nn.Linear(NUM_INPUTS, NUM_CLASSES))
    net_d2l = copy.deepcopy(net_ours)
    opt_ours = torch.optim.SGD(net_ours.parameters(), lr=0.1)
    opt_d2l = torch.optim.SGD(net_d2l.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss(reduction="none")
    data = _batches()
    for _ in range(3):
        ours = coursekit.train_epoch_ch3(net_ours, data, loss, opt_ours)
        theirs = _d2l_quietly(d2l.train_epoch_ch3, net_d2l, data, loss, opt_d2l)
        assert ours[0] == pytest.approx(theirs[0], abs=1e-6)
        assert ours[1] == pytest.approx(theirs[1], abs=1e-6)
    assert coursekit.evaluate_accuracy(net_ours, data) == d2l.evaluate_accuracy(net_d2l, data)


def _scratch_model(seed=0):
    g = torch.Generator().manual_seed(seed)
    W = (torch.randn(NUM_INPUTS, NUM_CLASSES, generator=g) * 0.01).requires_grad_()
    b = torch.zeros(NUM_CLASSES, requires_grad=True)

    def net(X):
        O = X.reshape(-1, NUM_INPUTS) @ W + b
        E = torch.exp(O - O.max(dim=1, keepdim=True).values)
        return E / E.sum(dim=1, keepdim=True)

    return net, [W, b]


def _cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def test_parity_with_d2l_function_net_and_custom_updater(d2l):
    net_ours, params_ours = _scratch_model()
    net_d2l, params_d2l = _scratch_model()
    data = _batches()
    for _ in range(3):
        ours = coursekit.train_epoch_ch3(net_ours, data, _cross_entropy, lambda n: coursekit.sgd(params_ours, 0.1, n))
        theirs = _d2l_quietly(d2l.train_epoch_ch3, net_d2l, data, _cross_entropy, lambda n: d2l.sgd(params_d2l, 0.1, n))
        assert ours[0] == pytest.approx(theirs[0], abs=1e-6)
        assert ours[1] == pytest.approx(theirs[1], abs=1e-6)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(params_ours, params_d2l, strict=True))


@pytest.mark.skipif(torch.__version__ < "2.7", reason="PyTorch warns on float() of a tensor that requires grad from 2.7 on")
def test_d2l_warns_where_coursekit_does_not(d2l):
    # The fault the issue names: d2l's train_epoch_ch3 converts a tensor that requires grad.
    result = _train_in_fresh_process(
        "import d2l.torch as d2l\nd2l.train_epoch_ch3(net, data, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1))"
    )
    assert result.returncode != 0 and "requires_grad=True to a scalar" in result.stderr


def test_parity_with_d2l_accuracy_accumulator_and_evaluate_accuracy(d2l):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 3))
    data = _data()
    for X, y in data:
        assert coursekit.accuracy(net(X), y) == d2l.accuracy(net(X), y)
    ours, theirs = coursekit.Accumulator(3), d2l.Accumulator(3)
    for values in [(1, 2.5, torch.tensor(3)), (0.25, 1, 2)]:
        ours.add(*values)
        theirs.add(*values)
    assert ours.data == theirs.data
    assert coursekit.evaluate_accuracy(net, data) == d2l.evaluate_accuracy(net, data)

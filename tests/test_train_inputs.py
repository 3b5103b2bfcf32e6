"""coursekit.train and coursekit.metrics on what students actually pass: every reduction,
ambiguous scores, the usual mix-ups of arguments, and failures that must not lose a run.

No d2l here: these tests hold whether or not the parity reference is installed.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

import coursekit
from coursekit.plotting import Animator

NUM_INPUTS, NUM_CLASSES = 20, 4


def _batches(n=256, batch_size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    X = torch.randn(n, NUM_INPUTS, generator=g)
    X[torch.arange(n), y] += 2.0
    return [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, n, batch_size)]


def _net():
    torch.manual_seed(0)
    return nn.Linear(NUM_INPUTS, NUM_CLASSES)


@pytest.mark.parametrize("updater", ["optimizer", "function"])
def test_every_reduction_reports_the_mean_and_trains_identically(updater):
    data = _batches()
    histories = {}
    for reduction in ("none", "mean", "sum"):
        net = _net()
        if updater == "optimizer":
            update = torch.optim.SGD(net.parameters(), lr=0.5)
        else:
            update = lambda n, net=net: coursekit.sgd(net.parameters(), 0.5, n)  # noqa: E731
        histories[reduction] = coursekit.train_ch3(net, data, data, nn.CrossEntropyLoss(reduction=reduction), 3, update, animate=False)
        histories[reduction].weights = net.weight.detach().clone()
    none = histories["none"]
    for reduction in ("mean", "sum"):
        other = histories[reduction]
        assert other.train_loss == pytest.approx(none.train_loss, rel=1e-5), reduction
        assert other.test_acc == none.test_acc
        assert torch.allclose(other.weights, none.weights, rtol=1e-5, atol=1e-6), reduction
    assert none.train_loss[0] < 3  # a per-example mean of a 4-class cross-entropy, not a batch sum


def test_evaluate_loss_is_the_per_example_mean_for_every_reduction():
    net, data = _net(), _batches()
    values = [coursekit.evaluate_loss(net, data, nn.CrossEntropyLoss(reduction=r)) for r in ("none", "mean", "sum")]
    assert values[1] == pytest.approx(values[0], rel=1e-6) and values[2] == pytest.approx(values[0], rel=1e-6)


def test_accuracy_refuses_float_scores_even_when_they_look_like_labels():
    labels = torch.tensor([0, 1, 0, 1])
    with pytest.raises(ValueError, match="one float per example"):
        coursekit.accuracy(torch.zeros(4), labels)  # a zero-initialized binary model: d2l would count 2
    assert coursekit.accuracy(torch.zeros(4, dtype=torch.long), labels) == 2.0  # class indices are counted
    assert coursekit.accuracy(torch.tensor([[0.0, 1.0], [2.0, 1.0]]), torch.tensor([1, 0])) == 2.0


@pytest.mark.parametrize(
    "make_loss, make_updater, message",
    [
        (lambda net: nn.CrossEntropyLoss(), lambda net: torch.optim.SGD, r"the class SGD.*SGD\(net.parameters\(\), lr=0.1\)"),
        (lambda net: nn.CrossEntropyLoss(), lambda net: torch.optim.SGD(net.parameters(), lr=0.1).step, r"method \.step.*updater=optimizer"),
        (lambda net: nn.CrossEntropyLoss, lambda net: torch.optim.SGD(net.parameters(), lr=0.1), r"the class CrossEntropyLoss.*CrossEntropyLoss\(\)"),
    ],
)
def test_mixed_up_arguments_say_what_to_pass(make_loss, make_updater, message):
    net, data = _net(), _batches()
    with pytest.raises(TypeError, match=message):
        coursekit.train_ch3(net, data, data, make_loss(net), 2, make_updater(net), animate=False)
    with pytest.raises(TypeError, match=message):
        coursekit.train_epoch_ch3(net, data, make_loss(net), make_updater(net))


def test_a_generator_read_twice_is_refused_before_training():
    net, data = _net(), _batches()
    before = copy.deepcopy(net.state_dict())
    with pytest.raises(TypeError, match="test_iter is a one-pass iterator.*list of \\(X, y\\) batches"):
        coursekit.train_ch3(net, data, (b for b in data), nn.CrossEntropyLoss(), 2, torch.optim.SGD(net.parameters(), lr=0.1), animate=False)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items()), "nothing trained before the refusal"
    history = coursekit.train_ch3(net, data, (b for b in data), nn.CrossEntropyLoss(), 1, torch.optim.SGD(net.parameters(), lr=0.1), animate=False)
    assert len(history) == 1  # one epoch reads it once: allowed


def test_a_model_and_batch_on_different_devices_get_coursekit_advice():
    # No second device on a CPU machine: the model raises what PyTorch raises when
    # its weights are on a GPU and the batch is not (the words of torch 2.14).
    def on_gpu(X):
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!")

    data = _batches()
    with pytest.raises(RuntimeError, match="different devices: the batch is on cpu.*net.to\\(device\\)") as info:
        coursekit.evaluate_accuracy(on_gpu, data)
    assert "cuda:0 and cpu" in str(info.value.__cause__), "PyTorch's own error is kept as the cause"

    def broken(X):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (32x20 and 784x10)")

    with pytest.raises(RuntimeError, match="^mat1 and mat2 shapes"):  # any other error is left alone
        coursekit.evaluate_accuracy(broken, data)


def test_a_failure_while_plotting_keeps_the_history(tmp_path):
    net, data = _net(), _batches()

    class Broken(Animator):
        def add(self, x, y):
            if x == 2:
                raise OSError("disk full")
            super().add(x, y)

    with pytest.raises(OSError, match="disk full") as info:
        coursekit.train_ch3(
            net,
            data,
            data,
            nn.CrossEntropyLoss(),
            3,
            torch.optim.SGD(net.parameters(), lr=0.1),
            animate=Broken(display="none", legend=["train loss", "train acc", "test acc"]),
        )
    assert len(info.value.history) == 2 and info.value.history.test_acc[0] > 0.25
    assert any(".history" in note for note in info.value.__notes__)


def test_predict_ch3_names_classes_from_the_loader():
    images = torch.randint(0, 256, (6, 1, 28, 28), dtype=torch.uint8)
    labels = torch.tensor([0, 1, 2, 3, 4, 5])
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    fashion = coursekit.TensorLoader(images, labels, 6, False, classes=coursekit.data.FASHION_MNIST.classes)
    digits = coursekit.TensorLoader(images, labels, 6, False, classes=coursekit.data.MNIST.classes)
    trues, _ = coursekit.predict_ch3(net, fashion, show=False)
    assert trues == ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal"]
    trues, _ = coursekit.predict_ch3(net, digits, show=False)
    assert trues == ["0", "1", "2", "3", "4", "5"]
    trues, _ = coursekit.predict_ch3(net, [(images.float(), labels)], show=False)
    assert trues == ["0", "1", "2", "3", "4", "5"]  # a plain list of batches: the indices


class _CountingBatches:
    """A list of batches that counts how many times it is read."""

    def __init__(self, batches):
        self.batches, self.passes = batches, 0

    def __iter__(self):
        self.passes += 1
        return iter(self.batches)


def test_evaluate_gives_loss_and_accuracy_in_one_pass():
    net, data = _net(), _CountingBatches(_batches())
    loss = nn.CrossEntropyLoss(reduction="none")
    result = coursekit.evaluate(net, data, loss)
    assert data.passes == 1
    value, acc = result
    assert value == pytest.approx(coursekit.evaluate_loss(net, data, loss), rel=1e-12)
    assert acc == coursekit.evaluate_accuracy(net, data) == result.accuracy
    assert coursekit.evaluate(net, data).loss is None
    with pytest.raises(ValueError, match="yielded no examples"):
        coursekit.evaluate(net, [])


def test_train_ch3_is_fit_and_follows_the_same_path_as_its_epochs_by_hand():
    data = _batches()
    net_a, net_b = _net(), _net()
    loss = nn.CrossEntropyLoss(reduction="none")
    history = coursekit.train_ch3(net_a, data, data, loss, 3, torch.optim.SGD(net_a.parameters(), lr=0.3), animate=False)
    opt_b = torch.optim.SGD(net_b.parameters(), lr=0.3)
    by_hand = []
    for _ in range(3):
        train_loss, train_acc = coursekit.train_epoch_ch3(net_b, data, loss, opt_b)
        by_hand.append((train_loss, train_acc, coursekit.evaluate_accuracy(net_b, data)))
    recorded = list(zip(history.train_loss, history.train_acc, history.test_acc, strict=True))
    assert recorded == by_hand, "bit for bit: the chapters' numbers do not move"
    assert torch.equal(net_a.weight, net_b.weight)
    assert history.epoch == [1.0, 2.0, 3.0] and history.test_loss[-1] == pytest.approx(coursekit.evaluate_loss(net_b, data, nn.CrossEntropyLoss()))


def test_fit_records_by_name_evaluates_on_a_validation_set_and_calls_back():
    train, val = _batches(seed=0), _batches(n=64, seed=1)
    net = _net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.3)
    seen, closed = [], []

    class Spy:
        def __call__(self, history):
            seen.append((history.epoch[-1], history.val_acc[-1]))

        def close(self):
            closed.append(len(seen))

    history = coursekit.fit(
        net,
        train,
        nn.CrossEntropyLoss(),
        optimizer,
        2,
        val_iter=val,
        eval_every=3,
        callbacks=[Spy()],
        scheduler=torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=16),
    )
    # 8 steps per epoch, 16 in all: records at steps 3, 6, ..., 15 and one for the last step
    assert history.step == [3, 6, 9, 12, 15, 16] and history.epoch == pytest.approx([3 / 8, 6 / 8, 9 / 8, 12 / 8, 15 / 8, 2.0])
    assert [e for e, _ in seen] == history.epoch and closed == [6], "each record calls back; close() once at the end"
    assert history.lr[0] > history.lr[-1] and history.lr[-1] == pytest.approx(0, abs=1e-12), "the scheduler steps every step"
    assert (history.val_loss[-1], history.val_acc[-1]) == tuple(coursekit.evaluate(net, val, nn.CrossEntropyLoss()))
    assert {"train_loss", "train_acc", "seconds", "eval_seconds"} <= set(history.columns) and len(history) == 6
    with pytest.raises(AttributeError, match="no column 'test_acc'; it has"):
        _ = history.test_acc


def test_progress_draws_the_named_columns(tmp_path):
    net, data = _net(), _batches()
    progress = coursekit.Progress(("train_loss", "val_acc"), display="none")
    coursekit.fit(net, data, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.3), 3, val_iter=data, callbacks=[progress])
    assert progress.animator.X == [[1.0, 2.0, 3.0]] * 2 and progress.animator.legend == ["train_loss", "val_acc"]


def test_fit_draws_no_random_numbers_before_training():
    # iter() on a DataLoader draws a seed from the global generator; checking that the
    # loader can be read twice must not, or every later shuffle of the run shifts.
    data = torch.utils.data.TensorDataset(torch.randn(40, 3), torch.randint(0, 2, (40,)))
    loader = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True)
    torch.manual_seed(0)
    coursekit.train._check_reusable(loader, "train_iter", passes=3)
    after_check = torch.rand(1)
    torch.manual_seed(0)
    assert torch.equal(torch.rand(1), after_check)


def test_evaluate_loss_measures_a_regression():
    # A regression's outputs have no accuracy; the loss alone must still be measured.
    X, y = torch.randn(30, 4), torch.randn(30, 1)
    net = torch.nn.Linear(4, 1)
    batches = [(X[:15], y[:15]), (X[15:], y[15:])]
    expected = torch.nn.functional.mse_loss(net(X), y, reduction="none").mean().item()
    assert abs(coursekit.evaluate_loss(net, batches, torch.nn.MSELoss()) - expected) < 1e-6


def test_an_optimizer_of_another_model_is_refused_before_training():
    net, data = _net(), _batches()
    other = copy.deepcopy(net)  # the usual way to get here: a copy, or a model built twice
    optimizer = torch.optim.SGD(other.parameters(), lr=0.1)
    before = copy.deepcopy(net.state_dict())
    message = r"none of net's parameters.*SGD\(net.parameters\(\), lr=0.1\)"
    with pytest.raises(ValueError, match=message):
        coursekit.fit(net, data, nn.CrossEntropyLoss(), optimizer, 2)
    with pytest.raises(ValueError, match=message):
        coursekit.train_ch3(net, data, data, nn.CrossEntropyLoss(), 2, optimizer, animate=False)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(torch.equal(before[k], v) for k, v in other.state_dict().items()), "refused before the first step"
    # An optimizer over some of the net's parameters (the others frozen) trains the net.
    history = coursekit.fit(net, data, nn.CrossEntropyLoss(), torch.optim.SGD([net.weight], lr=0.1), 1)
    assert len(history) == 1 and torch.equal(before["bias"], net.bias) and not torch.equal(before["weight"], net.weight)


def test_a_non_finite_validation_loss_stops_fit_with_a_clear_error():
    # A hand-written cross-entropy over probabilities takes log(0) once the scores are
    # large: validation inputs scaled 10^4 times as much as the training inputs do that.
    def cross_entropy(y_hat, y):
        return -torch.log(torch.softmax(y_hat, dim=1)[range(len(y)), y])

    net, data = _net(), _batches()
    unscaled = [(X * 1e4, y) for X, y in data]
    with pytest.raises(RuntimeError, match=r"val loss became inf at epoch 1 \(step 8\).*scaled as the training inputs.*log\(0\)") as info:
        coursekit.fit(net, data, cross_entropy, torch.optim.SGD(net.parameters(), lr=0.1), 2, val_iter=unscaled)
    assert len(info.value.history) == 0 and any(".history" in note for note in info.value.__notes__)

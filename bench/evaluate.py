"""One-pass evaluation against two passes: ``evaluate`` versus ``evaluate_loss`` + ``evaluate_accuracy``.

    python -m bench.evaluate

Chapter 3's softmax-regression model and chapter 5's MLP over the 10,000
Fashion-MNIST test images, each way, medians of ``--repeats`` runs taken in
turns. Target: one pass / two passes <= 0.6 (the model's forward pass and the
batches are computed once instead of twice).
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

import coursekit
from bench.common import BATCH_SIZE, seconds, softmax_regression


def mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 200), nn.LeakyReLU(), nn.Linear(200, 200), nn.LeakyReLU(), nn.Linear(200, 10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed runs of each way (medians are printed)")
    args = parser.parse_args()
    coursekit.set_seed(0)
    _, test_iter = coursekit.load_data_fashion_mnist(BATCH_SIZE)
    loss = nn.CrossEntropyLoss(reduction="none")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {test_iter.dataset} per evaluation")
    for name, net in (("softmax regression", softmax_regression()[0]), ("MLP 784-200-200-10", mlp())):
        t = seconds(
            {
                # Bound now (net=net): the timing runs before the loop moves on, but say so.
                "one pass": lambda net=net: coursekit.evaluate(net, test_iter, loss),
                "two passes": lambda net=net: (coursekit.evaluate_loss(net, test_iter, loss), coursekit.evaluate_accuracy(net, test_iter)),
            },
            args.repeats,
        )
        print(
            f"{name:<20} one pass {t['one pass'] * 1e3:7.1f} ms   two passes {t['two passes'] * 1e3:7.1f} ms   "
            f"ratio {t['one pass'] / t['two passes']:.2f}  (target <= 0.6)"
        )


if __name__ == "__main__":
    main()

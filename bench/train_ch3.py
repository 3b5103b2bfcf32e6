"""Overhead of coursekit's train_ch3 over a bare hand-written loop.

    python -m bench.train_ch3

Ten epochs of chapter 3's softmax regression on full Fashion-MNIST, both fed by
coursekit's loader:

* the bare loop: forward, loss, backward, step; nothing measured, nothing shown;
* ``train_ch3``: also sums the train loss and accuracy, measures the test
  accuracy after every epoch and feeds its Animator, here in notebook mode: it
  renders an SVG figure (at most once a second, and once at the end) exactly
  as in Jupyter; outside a kernel the display call only prints, which is
  discarded.

Target: train_ch3 / bare <= 1.3.

The same for ``fit`` with a validation set: 10,000 training images held out
(``validation=10_000``), the bare loop on the other 50,000, and ``fit``
evaluating the validation loss and accuracy after every epoch, its progress
drawn by a ``Progress`` callback. Target: fit / bare <= 1.3.
"""

from __future__ import annotations

import argparse
import contextlib
import io

import coursekit
from bench.common import BATCH_SIZE, seconds, softmax_regression, train_epoch
from coursekit.plotting import progress_animator

EPOCHS = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of 10 epochs each (medians are printed)")
    args = parser.parse_args()
    coursekit.set_seed(0)
    train_iter, test_iter = coursekit.load_data_fashion_mnist(BATCH_SIZE)

    def bare() -> None:
        net, loss, opt = softmax_regression()
        for _ in range(EPOCHS):
            train_epoch(net, loss, opt, train_iter)

    def with_train_ch3() -> None:
        net, loss, opt = softmax_regression()
        animator = progress_animator(EPOCHS, display="notebook")
        with contextlib.redirect_stdout(io.StringIO()):
            coursekit.train_ch3(net, train_iter, test_iter, loss, EPOCHS, opt, animate=animator)
        renders.append(animator.renders)

    train_50k, val_iter, _ = coursekit.load_data_fashion_mnist(BATCH_SIZE, validation=10_000)

    def bare_50k() -> None:
        net, loss, opt = softmax_regression()
        for _ in range(EPOCHS):
            train_epoch(net, loss, opt, train_50k)

    def with_fit() -> None:
        net, loss, opt = softmax_regression()
        progress = coursekit.Progress(("train_loss", "train_acc", "val_loss", "val_acc"), display="notebook")
        with contextlib.redirect_stdout(io.StringIO()):
            coursekit.fit(net, train_50k, loss, opt, EPOCHS, val_iter=val_iter, callbacks=[progress])
        renders.append(progress.animator.renders)

    renders: list[int] = []
    t = seconds({"bare": bare, "train_ch3": with_train_ch3, "bare 50k": bare_50k, "fit": with_fit}, args.repeats)
    bare_s, ch3_s = t["bare"], t["train_ch3"]
    print(f"bare loop, {EPOCHS} epochs:                 {bare_s:.3f} s")
    print(f"train_ch3, {EPOCHS} epochs (+ Animator):    {ch3_s:.3f} s")
    print(f"train_ch3 / bare = {ch3_s / bare_s:.2f}  (target <= 1.3)")
    print(f"bare loop on 50,000 images:            {t['bare 50k']:.3f} s")
    print(f"fit + validation on 10,000 (+ Progress): {t['fit']:.3f} s ({renders[-1]} figure renders)")
    print(f"fit / bare = {t['fit'] / t['bare 50k']:.2f}  (target <= 1.3)")


if __name__ == "__main__":
    main()

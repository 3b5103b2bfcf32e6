"""Plotting helpers with d2l's names: figure size, axes, line plots, image grids, Animator; and
what training and prediction draw: ``fit``'s ``Progress`` callback, ``predict_ch3``.

Nothing here runs on import; every function draws only when called, so
scripts and tests can use coursekit headless (``MPLBACKEND=Agg``).
"""

from __future__ import annotations

import io
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
import torch
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .utils import Batches, Net, eval_mode, net_device

if TYPE_CHECKING:  # for the annotations only: train imports this module
    from .train import History

__all__ = ["use_svg_display", "set_figsize", "set_axes", "plot", "show_images", "Animator", "Progress", "predict_ch3"]

DEFAULT_FMTS = ("-", "m--", "g-.", "r:")
DEFAULT_FIGSIZE = (3.5, 2.5)  # inches, d2l's default


def in_notebook() -> bool:
    """True inside a Jupyter kernel (Jupyter, JupyterLab, VS Code, Colab, the book build)."""
    try:
        from IPython import get_ipython
    except ImportError:  # IPython is optional outside notebooks
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def use_svg_display() -> None:
    """Show the notebook's matplotlib figures as SVG (sharp at any zoom).

    Does nothing outside a notebook.

    Used in: chapter 4; chapters 1, 2, 3 and 5 through ``set_figsize``.
    """
    if in_notebook():
        from matplotlib_inline import backend_inline

        backend_inline.set_matplotlib_formats("svg")


def set_figsize(figsize: tuple[float, float] = DEFAULT_FIGSIZE) -> None:
    """Set the default size of new matplotlib figures, in inches (and use SVG in notebooks).

    Used in: chapters 1, 2, 3 and 5.
    """
    use_svg_display()
    plt.rcParams["figure.figsize"] = figsize


def set_axes(
    axes: Axes,
    xlabel: str | None,
    ylabel: str | None,
    xlim: Sequence[float] | None,
    ylim: Sequence[float] | None,
    xscale: str,
    yscale: str,
    legend: Sequence[str] | None,
) -> None:
    """Label, scale and limit one matplotlib ``Axes``, add a legend and a grid.

    Used in: ``plot`` and ``Animator``.
    """
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid(True)


def _as_array(values: Any) -> Any:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return values


def _has_one_axis(values: Any) -> bool:
    return (hasattr(values, "ndim") and values.ndim == 1) or (isinstance(values, list) and not hasattr(values[0], "__len__"))


def plot(
    X: Any,
    Y: Any = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: Sequence[str] | None = None,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    xscale: str = "linear",
    yscale: str = "linear",
    fmts: Sequence[str] = DEFAULT_FMTS,
    figsize: tuple[float, float] = DEFAULT_FIGSIZE,
    axes: Axes | None = None,
) -> Axes:
    """Plot one or more lines (d2l's ``plot``); tensors are accepted as they are.

    Args:
        X: x-values, one sequence or a list of them (or the y-values if ``Y`` is None).
        Y: y-values, one sequence or a list of them, one per line.
        fmts: matplotlib format strings, one per line (lines beyond them are
            drawn solid, in the next colours).
        axes: draw into these axes; by default the current pyplot axes.

    Returns:
        The axes drawn into.

    Used in: chapters 2 and 4.
    """
    if axes is None:
        set_figsize(figsize)
        axes = plt.gca()
    X = _as_array(X) if isinstance(X, torch.Tensor) else X
    Y = _as_array(Y) if isinstance(Y, torch.Tensor) else Y
    if _has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif _has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, _formats(fmts, len(Y)), strict=True):
        x, y = _as_array(x), _as_array(y)
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    return axes


def _formats(fmts: Sequence[str], n: int) -> list[str]:
    """``n`` format strings: ``fmts``, then plain lines in the next colours (d2l drops the extra lines)."""
    return list(fmts[:n]) + ["-"] * max(0, n - len(fmts))


def _as_image(img: Any) -> Any:
    if isinstance(img, torch.Tensor):
        img = img.detach().cpu()
        if img.dim() == 3 and img.shape[0] in (1, 3):  # channels first, as ToTensor gives
            img = img.squeeze(0) if img.shape[0] == 1 else img.permute(1, 2, 0)
        return img.numpy()
    return img


def show_images(
    imgs: Sequence[Any] | torch.Tensor,
    num_rows: int,
    num_cols: int,
    titles: Sequence[str] | None = None,
    scale: float = 1.5,
    *,
    cmap: str = "gray",
) -> np.ndarray:
    """Draw images in a ``num_rows`` by ``num_cols`` grid (d2l's ``show_images``).

    Args:
        imgs: tensors of shape ``(H, W)``, ``(1, H, W)`` or ``(3, H, W)``, or
            PIL images / arrays; the first ``num_rows * num_cols`` are drawn.
        titles: at most one per image drawn.
        scale: inches per grid cell.
        cmap: colour map for grey images.

    Returns:
        The flat array of axes.

    Used in: chapters 3 and 5.
    """
    if num_rows < 1 or num_cols < 1:
        raise ValueError(f"show_images: need at least one row and column, got {num_rows}x{num_cols}")
    n_images = min(len(imgs), num_rows * num_cols)
    if titles is not None and len(titles) > n_images:
        raise ValueError(
            f"show_images: {len(titles)} titles for {n_images} images drawn; pass one title per image (or more images, or a larger grid)"
        )
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    axes = np.asarray(axes).flatten()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= n_images:
            continue
        ax.imshow(_as_image(imgs[i]), cmap=cmap)
        if titles is not None and i < len(titles):
            ax.set_title(titles[i], fontsize="small")
    return axes


def _set_margins(fig: Figure, xlabel: bool, ylabel: bool, title: bool) -> None:
    """Fixed margins, in inches, for tick labels, axis labels and a title.

    A layout engine (constrained or tight) would fit them too, but costs a full
    extra draw at every redraw; the Animator redraws once per epoch.
    """
    width, height = fig.get_size_inches()
    fig.subplots_adjust(
        left=(0.65 if ylabel else 0.45) / width,
        right=1 - 0.25 / width,  # room for half the last x tick label
        bottom=(0.5 if xlabel else 0.3) / height,
        top=1 - (0.3 if title else 0.12) / height,
    )


def _values(v: Any) -> list:
    """A number, a sequence of numbers or a tensor, as a list of Python numbers (or None)."""
    if isinstance(v, torch.Tensor):
        return v.detach().cpu().reshape(-1).tolist()
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        return [v]
    return [None if e is None else float(e) for e in v]


def _checked_save_path(save_path: str | Path) -> Path:
    """``save_path`` as a Path, after checking it can be written: fail now, not after a long run."""
    path = Path(save_path).expanduser()
    formats = Figure().canvas.get_supported_filetypes()
    if path.suffix.lstrip(".").lower() not in formats:
        raise ValueError(
            f"Animator: cannot tell the image format of save_path={str(save_path)!r}: "
            f"end it with one of {', '.join('.' + f for f in sorted(formats))}"
        )
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"Animator: the folder of save_path={str(save_path)!r} does not exist: create {folder} first")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"Animator: the folder {folder} of save_path is not writable: choose another place")
    if path.is_dir():
        raise IsADirectoryError(f"Animator: save_path={str(save_path)!r} is a folder; give a file name such as progress.png")
    return path


class Animator:
    """Plot lines that grow point by point, for example while training (d2l's ``Animator``).

    Where it shows them:

    * in a notebook (Jupyter, JupyterLab, VS Code, Colab) one figure is
      updated in place; an executed notebook (nbclient, the book build) keeps
      only the finished figure;
    * elsewhere (a script, a terminal, no display) it prints one line per
      point, such as ``epoch 3: train loss 0.5123, test acc 0.8120``.

    With ``save_path`` the figure is also written to that file at every redraw.
    With ``min_interval`` the figure is redrawn at most that often (in
    seconds); call :meth:`flush` after the last point to draw what is pending.

    Args:
        xlabel: label of the x-axis (also names x in the printed lines).
        ylabel: label of the y-axis.
        legend: one name per line (also used in the printed lines).
        xlim: x-range, for example ``(1, num_epochs)``.
        ylim: y-range (default: fitted to the data).
        xscale: ``"linear"`` or ``"log"``.
        yscale: ``"linear"`` or ``"log"``.
        fmts: matplotlib format strings, one per line.
        nrows: rows of axes (the lines go into the first axes).
        ncols: columns of axes.
        figsize: size of the figure in inches.
        save_path: a file (``.png``, ``.svg``, ``.pdf``) to keep the figure in.
        title: a title for the figure.
        display: ``"auto"`` (notebook or text, as above), ``"notebook"``,
            ``"text"`` or ``"none"``.
        min_interval: least time between two redraws, in seconds (0: redraw
            at every point, as d2l does).

    Used in: chapter 3; chapter 5 through ``Progress``.
    """

    def __init__(
        self,
        xlabel: str | None = None,
        ylabel: str | None = None,
        legend: Sequence[str] | None = None,
        xlim: Sequence[float] | None = None,
        ylim: Sequence[float] | None = None,
        xscale: str = "linear",
        yscale: str = "linear",
        fmts: Sequence[str] = DEFAULT_FMTS,
        nrows: int = 1,
        ncols: int = 1,
        figsize: tuple[float, float] = DEFAULT_FIGSIZE,
        *,
        save_path: str | Path | None = None,
        title: str | None = None,
        display: str = "auto",
        min_interval: float = 0.0,
    ) -> None:
        if display not in ("auto", "notebook", "text", "none"):
            raise ValueError(f"Animator: display must be 'auto', 'notebook', 'text' or 'none', got {display!r}")
        self.mode = ("notebook" if in_notebook() else "text") if display == "auto" else display
        self.legend = list(legend) if legend else []
        self.save_path = _checked_save_path(save_path) if save_path is not None else None
        # A bare Figure, not pyplot: the notebook's inline backend must not show
        # a second, static copy at the end of the cell, and scripts need no GUI.
        self._fig = Figure(figsize=figsize)
        axes = self._fig.subplots(nrows, ncols)
        _set_margins(self._fig, xlabel is not None, ylabel is not None, title is not None)
        self.axes = list(np.asarray(axes).flatten())
        self._config = (xlabel, ylabel, xlim, ylim, xscale, yscale, self.legend)
        self.xlabel = xlabel
        self.title = title
        self.fmts = fmts
        self.X: list[list[float]] = []
        self.Y: list[list[float]] = []
        self.min_interval = min_interval
        self._handle: Any = None
        self._pending = False
        self._stale = False
        # A throttled Animator waits min_interval before its first draw too: a
        # run shorter than that is drawn once, by flush(), when it ends.
        self._last_draw = time.perf_counter() if min_interval > 0 else -math.inf
        self.renders = 0  # figures shown or saved so far

    @property
    def fig(self) -> Figure:
        """The figure, with every point added so far (so ``animator.fig.savefig(...)`` works)."""
        self._redraw()
        return self._fig

    def add(self, x: float | Sequence[float], y: float | Sequence[float | None]) -> None:
        """Add one point to each line (``y`` holds one value per line; ``None`` skips a line).

        Numbers may be Python numbers or tensors (a 0-d tensor, or a 1-d one with one value per line).
        An ``x`` of None raises TypeError: every point needs its x.
        """
        ys, xs = _values(y), _values(x)
        if xs and all(a is None for a in xs):  # None skips a line in y; a point without any x is a mistake
            raise TypeError(
                f"Animator.add(x, y): x is {x!r}; pass the point's x-coordinate (a number such as the epoch, or one per line) "
                "and in y one value per line (None to skip a line)"
            )
        if len(xs) == 1:
            xs = xs * len(ys)  # one x for every line
        if len(xs) != len(ys):
            raise ValueError(f"Animator.add: {len(xs)} x-values for {len(ys)} y-values")
        if self.legend and len(ys) != len(self.legend):
            raise ValueError(
                f"Animator.add: got {len(ys)} values but the legend names {len(self.legend)} lines "
                f"({', '.join(self.legend)}); pass one value per legend entry (None to skip one)"
            )
        if not self.X:
            self.X = [[] for _ in ys]
            self.Y = [[] for _ in ys]
        if len(ys) != len(self.Y):
            raise ValueError(f"Animator.add: got {len(ys)} values, but the lines so far number {len(self.Y)}")
        for i, (a, b) in enumerate(zip(xs, ys, strict=True)):
            if a is not None and b is not None:
                self.X[i].append(float(a))
                self.Y[i].append(float(b))
        if self.mode == "text":
            names = self.legend or [f"y{i}" for i in range(len(ys))]
            values = ", ".join(f"{name} {v:.4f}" for name, v in zip(names, ys, strict=True) if v is not None)
            x_shown = next(a for a in xs if a is not None)
            print(f"{self.xlabel or 'x'} {x_shown:g}: {values}", flush=True)
        self._pending = self._stale = True
        if time.perf_counter() - self._last_draw >= self.min_interval:
            self.flush()

    def flush(self) -> None:
        """Show and save the figure now if points came since the last time."""
        if not self._pending:
            return
        if self.mode == "notebook":
            from IPython.display import SVG, display

            image = SVG(self.to_svg())
            if self._handle is None:
                self._handle = display(image, display_id=True)
            else:
                self._handle.update(image)
        if self.save_path is not None:
            self.save(self.save_path)
        if self.mode == "notebook" or self.save_path is not None:
            self.renders += 1
        self._pending = False
        self._last_draw = time.perf_counter()

    def _redraw(self) -> None:
        if not self._stale:
            return
        ax = self.axes[0]
        ax.cla()
        for x, y, fmt in zip(self.X, self.Y, _formats(self.fmts, len(self.Y)), strict=True):
            ax.plot(x, y, fmt)
        set_axes(ax, *self._config)
        if self.title:
            ax.set_title(self.title)
        self._stale = False

    def to_svg(self) -> str:
        """The figure, with every point added so far, as SVG text."""
        buffer = io.StringIO()
        self.fig.savefig(buffer, format="svg")
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the current figure to ``path`` (format from its suffix); return the path."""
        path = Path(path)
        self.fig.savefig(path)
        return path

    def show(self) -> Figure:
        """Hand the figure to pyplot and show it, as ``plt.show()`` would; return it.

        The Animator draws on a figure of its own, which pyplot does not know
        (so that a notebook shows one figure, not two). In a script, call this
        to open it in a window; afterwards ``plt.savefig`` and ``plt.gcf()`` see
        it too. (With a backend that has no windows, such as Agg, pyplot warns.)
        """
        if self._fig.canvas.manager is None and matplotlib.__version_info__[:2] < (3, 11):
            # Before 3.11 pyplot adopts no figure it did not create: lend this one a pyplot canvas.
            canvas = plt.figure(figsize=self._fig.get_size_inches()).canvas
            canvas.figure = self._fig
            self._fig.set_canvas(canvas)
        plt.figure(self.fig)
        plt.show()
        return self._fig


# train_ch3's figure, shared with train.py, outside __all__ (not exported).
def progress_animator(num_epochs: int, ylim: tuple[float, float] | None = None, display: str = "auto") -> Animator:
    """The Animator ``train_ch3`` shows: train loss, train and test accuracy per epoch.

    It redraws at most once a second (each figure costs ~30 ms to draw, a
    quarter of an epoch of chapter 3's model); ``train_ch3`` flushes it at the end.

    Used in: ``train_ch3``.
    """
    return Animator(
        xlabel="epoch",
        xlim=(1, num_epochs),
        ylim=ylim,
        legend=["train loss", "train acc", "test acc"],
        display=display,
        min_interval=1.0,
    )


class Progress:
    """A ``fit`` callback that draws chosen columns of the History with an :class:`Animator`.

    After every row the Animator gets the row's ``epoch`` and the values of
    ``fields``, by name; when training ends it is flushed. Without an
    ``animator``, one is made with the fields as its legend and ``animator_options``.

    Used in: ``train_ch3``; chapters 3 and 5, as ``fit(..., callbacks=[Progress(("train_loss", "val_loss", "val_acc"))])``.
    """

    def __init__(self, fields: Sequence[str], animator: Animator | None = None, **animator_options) -> None:
        self.fields = tuple(fields)
        if animator is None:
            animator = Animator(**{"xlabel": "epoch", "legend": list(self.fields), "min_interval": 1.0, **animator_options})
        self.animator = animator

    def __call__(self, history: History) -> None:
        self.animator.add(history.epoch[-1], [history[name][-1] for name in self.fields])

    def close(self) -> None:
        self.animator.flush()


def _class_names(data_iter: Batches) -> Callable[[Iterable[int]], list[str]]:
    """Index -> name from ``data_iter.dataset.classes`` when the loader has them, else the index itself."""
    names = getattr(getattr(data_iter, "dataset", None), "classes", None)
    if names:
        return lambda indices: [names[i] for i in indices]
    return lambda indices: [str(i) for i in indices]


def predict_ch3(
    net: Net,
    test_iter: Batches,
    n: int = 6,
    *,
    labels: Callable[[Iterable[int]], list[str]] | None = None,
    show: bool = True,
) -> tuple[list[str], list[str]]:
    """Predict the first ``n`` examples of ``test_iter``; return (true, predicted) label names.

    With ``show=True`` the images are drawn with the true label above the
    predicted one.

    Args:
        labels: a function from class indices to names (such as
            ``get_fashion_mnist_labels``). By default the names come from the
            loader (``test_iter.dataset.classes``, which coursekit's loaders
            and torchvision's data sets have), else the indices are shown.

    Used in: chapter 3.
    """
    if n < 1:
        raise ValueError(f"predict_ch3: n must be at least 1, got {n}")
    X, y = next(iter(test_iter))
    X, y = X[:n], y[:n]
    device = net_device(net)
    with eval_mode(net), torch.no_grad():
        scores = net(X.to(device) if device is not None else X)
    if labels is None:
        labels = _class_names(test_iter)
    trues = labels(y.tolist())
    preds = labels(scores.argmax(dim=1).tolist())
    if show:
        titles = [f"{true}\n{pred}" for true, pred in zip(trues, preds, strict=True)]
        show_images(X.reshape(len(y), *X.shape[-2:]), 1, len(y), titles=titles)
    return trues, preds

"""d2l's plotting names: coursekit's functions and Animator, returning what d2l's return."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from matplotlib import pyplot as plt

from .. import plotting as ck_plotting
from ..plotting import Animator, set_axes, set_figsize, use_svg_display

__all__ = ["plt", "use_svg_display", "set_figsize", "set_axes", "plot", "show_images", "Animator"]


def plot(*args: Any, **kwargs: Any) -> None:
    """Plot one or more lines, as d2l's ``plot`` does, and return ``None``.

    The arguments are those of coursekit's :func:`~coursekit.plotting.plot`
    (d2l's: ``X, Y=None, xlabel, ylabel, legend, xlim, ylim, xscale, yscale,
    fmts, figsize, axes``), which draws the lines; it returns the axes, which a
    notebook would print after the figure when ``plot`` ends a cell. Tensors
    that require gradients are accepted (d2l wants ``x.detach()``).

    Used in: d2l sections 2.4, 2.6, 3.1, 4.1 and 4.8.
    """
    call = _PLOT_SIGNATURE.bind(*args, **kwargs)
    call.apply_defaults()
    set_figsize(call.arguments["figsize"])  # d2l sets the default figure size even when it is given axes
    ck_plotting.plot(*args, **kwargs)


_PLOT_SIGNATURE = inspect.signature(ck_plotting.plot)
plot.__signature__ = _PLOT_SIGNATURE.replace(return_annotation=None)  # type: ignore[attr-defined]


def show_images(
    imgs: Sequence[Any] | torch.Tensor,
    num_rows: int,
    num_cols: int,
    titles: Sequence[str] | None = None,
    scale: float = 1.5,
) -> np.ndarray:
    """Draw images in a grid, as d2l's ``show_images`` does (its colour map, surplus titles ignored); return the axes.

    Args:
        imgs: tensors of shape ``(H, W)`` (or ``(1, H, W)``, ``(3, H, W)``) or PIL images.
        titles: one per image; titles beyond the images drawn are ignored, as in d2l.

    Used in: d2l sections 3.5 and 3.6 (through ``predict_ch3``).
    """
    drawn = min(len(imgs), num_rows * num_cols)
    titles = list(titles)[:drawn] if titles is not None else None
    # cmap=None: matplotlib's default colour map, which d2l's figures show.
    return ck_plotting.show_images(imgs, num_rows, num_cols, titles, scale, cmap=None)

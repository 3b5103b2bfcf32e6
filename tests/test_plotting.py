"""coursekit.plotting: headless figures, show_images, and the Animator in a script and in a kernel."""

from __future__ import annotations

import matplotlib.pyplot as plt
import nbformat
import pytest
import torch
from nbclient import NotebookClient

import coursekit
from coursekit.plotting import Animator


def test_plot_draws_labelled_lines():
    x = torch.arange(0, 3, 0.1)
    ax = coursekit.plot(x, [x**2, 2 * x], "x", "f(x)", legend=["x^2", "2x"])
    assert len(ax.lines) == 2 and ax.get_xlabel() == "x" and ax.get_ylabel() == "f(x)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x^2", "2x"]


def test_plot_draws_every_line_even_beyond_the_default_formats():
    x = torch.arange(5.0)
    ax = coursekit.plot(x, [x * k for k in range(6)], legend=[str(k) for k in range(6)])
    assert len(ax.lines) == 6
    assert len({line.get_color() for line in ax.lines}) == 6


def test_plot_accepts_tensors_that_require_grad():
    x = torch.linspace(-1, 1, 5, requires_grad=True)
    ax = coursekit.plot(x, torch.sigmoid(x))
    assert len(ax.lines) == 1


def test_set_figsize_sets_the_default_size():
    before = plt.rcParams["figure.figsize"]
    try:
        coursekit.set_figsize((4, 3))
        assert list(plt.rcParams["figure.figsize"]) == [4, 3]
    finally:
        plt.rcParams["figure.figsize"] = before


def test_show_images_grid_and_titles():
    imgs = torch.rand(6, 1, 28, 28)
    axes = coursekit.show_images(imgs, 2, 3, titles=[str(i) for i in range(6)])
    assert len(axes) == 6 and axes[5].get_title() == "5"
    axes = coursekit.show_images(imgs[:4], 2, 3)  # fewer images than cells: the rest stay empty
    assert len(axes) == 6 and not axes[5].images


def test_show_images_rejects_more_titles_than_images():
    with pytest.raises(ValueError, match="3 titles for 2 images"):
        coursekit.show_images(torch.rand(2, 28, 28), 1, 2, titles=["a", "b", "c"])


def test_animator_in_a_script_prints_one_line_per_point(capsys):
    animator = Animator(xlabel="epoch", legend=["loss", "acc"])
    assert animator.mode == "text"
    for epoch in range(1, 4):
        animator.add(epoch, (1 / epoch, 0.5 + epoch / 10))
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["epoch 1: loss 1.0000, acc 0.6000", "epoch 2: loss 0.5000, acc 0.7000", "epoch 3: loss 0.3333, acc 0.8000"]


def test_animator_saves_the_figure(tmp_path, capsys):
    path = tmp_path / "progress.png"
    animator = Animator(xlabel="epoch", legend=["loss"], save_path=path, display="none")
    animator.add(1, 0.9)
    animator.add(2, 0.5)
    assert path.read_bytes().startswith(b"\x89PNG")
    assert animator.axes[0].lines[0].get_ydata().tolist() == [0.9, 0.5]
    assert capsys.readouterr().out == ""
    assert "<svg" in animator.to_svg()


def test_animator_throttles_and_flushes(tmp_path):
    path = tmp_path / "p.svg"
    animator = Animator(legend=["a"], save_path=path, display="none", min_interval=3600)
    for i in range(5):
        animator.add(i, i)
    assert animator.renders == 0 and not path.exists()
    animator.flush()
    assert animator.renders == 1 and path.exists()
    animator.flush()  # nothing new: nothing drawn
    assert animator.renders == 1


def test_animator_rejects_inconsistent_points():
    animator = Animator(display="none")
    animator.add(1, (1, 2))
    with pytest.raises(ValueError, match="lines so far number 2"):
        animator.add(2, (1, 2, 3))
    with pytest.raises(ValueError, match="display must be"):
        Animator(display="window")


@pytest.mark.parametrize("display", ["text", "none"])
def test_animator_add_without_an_x_says_what_it_expects(capsys, display):
    expects = r"^Animator.add\(x, y\): x is .*None.*; pass the point's x-coordinate"
    with pytest.raises(TypeError, match=expects):
        Animator(xlabel="epoch", display=display).add(None, None)
    animator = Animator(xlabel="epoch", legend=["loss", "acc"], display=display)
    for x in (None, [None, None]):
        with pytest.raises(TypeError, match=expects):
            animator.add(x, (0.5, 0.8))
    animator.add(1, (None, 0.8))  # None in y skips that line's point, as in d2l
    animator.add([None, 2], (0.5, 0.7))  # so does None in a list of x-values
    assert animator.X == [[], [1.0, 2.0]] and animator.Y == [[], [0.8, 0.7]]
    expected = ["epoch 1: acc 0.8000", "epoch 2: loss 0.5000, acc 0.7000"] if display == "text" else []
    assert capsys.readouterr().out.splitlines() == expected


KERNEL_CELLS = [
    """import coursekit
animator = coursekit.Animator(xlabel="epoch", legend=["loss", "acc"])
for epoch in range(1, 6):
    animator.add(epoch, (1 / epoch, epoch / 10))""",
    """import torch
from torch import nn
net = nn.Linear(3, 3)
data = [(torch.eye(3), torch.arange(3))]
history = coursekit.train_ch3(net, data, data, nn.CrossEntropyLoss(), 4, torch.optim.SGD(net.parameters(), lr=0.1))""",
]
# Run first: the same figure then makes the same SVG (fixed element ids, no date in it).
REPRODUCIBLE_SVG = """import os, matplotlib
os.environ["SOURCE_DATE_EPOCH"] = "0"
matplotlib.rcParams["svg.hashsalt"] = "coursekit-tests"
"""
# Run last: the first cell's finished figure, as the notebook front end is given it.
FINISHED_FIGURE = """from IPython.display import SVG
assert animator.X == [[1.0, 2.0, 3.0, 4.0, 5.0]] * 2, animator.X
print(SVG(animator.to_svg()).data, end="")"""


def test_animator_in_a_kernel_keeps_one_figure_per_cell():
    """In Jupyter (and in the book build, which executes with nbclient) one figure updates in place."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in [REPRODUCIBLE_SVG, *KERNEL_CELLS, FINISHED_FIGURE]]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    setup, *cells, finished = nb.cells
    assert setup.outputs == []
    for cell in cells:
        kinds = [(o.output_type, sorted(o.get("data", {}))) for o in cell.outputs]
        assert kinds == [("display_data", ["image/svg+xml", "text/plain"])], kinds
    # The one figure left is the finished one, with all five points of each line.
    assert [o.output_type for o in finished.outputs] == ["stream"]
    assert cells[0].outputs[0].data["image/svg+xml"] == finished.outputs[0].text


def test_animator_refuses_values_its_legend_does_not_name():
    animator = Animator(legend=["loss", "acc"], display="none")
    with pytest.raises(ValueError, match="legend names 2 lines \\(loss, acc\\)"):
        animator.add(1, (0.5, 0.8, 0.9))


def test_animator_checks_its_save_path_when_created(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Animator(save_path=tmp_path / "missing" / "progress.png")
    with pytest.raises(ValueError, match="image format"):
        Animator(save_path=tmp_path / "progress.txt")
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(IsADirectoryError):
        Animator(save_path=tmp_path / "dir.png")
    assert Animator(save_path=tmp_path / "progress.png").save_path == tmp_path / "progress.png"


def test_animator_accepts_tensors_and_its_figure_is_always_current(tmp_path):
    animator = Animator(legend=["loss", "acc"], display="none", min_interval=60)  # no redraw of its own
    animator.add(torch.tensor(1), torch.tensor([0.5, 0.8]))
    animator.add(2, (torch.tensor(0.25), torch.tensor(0.9)))
    assert animator.Y[0] == [0.5, 0.25] and animator.Y[1] == pytest.approx([0.8, 0.9])
    lines = animator.fig.axes[0].get_lines()  # drawn without a flush, save or display
    assert [list(line.get_ydata()) for line in lines] == [animator.Y[0], animator.Y[1]]
    animator.fig.savefig(tmp_path / "progress.png")
    assert (tmp_path / "progress.png").stat().st_size > 1000


def test_animator_show_hands_the_figure_to_pyplot(monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(plt.gcf()))
    animator = Animator(legend=["loss"], display="none")
    animator.add(1, 0.5)
    fig = animator.show()
    assert shown == [fig] and plt.gcf() is fig
    plt.close(fig)

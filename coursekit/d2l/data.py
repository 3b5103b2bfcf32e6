"""Fashion-MNIST for d2l's code: coursekit's offline loaders, and torchvision's own classes made offline."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

from .. import data as ck_data
from .._files import atomic_write
from ..data import TensorLoader, get_fashion_mnist_labels

__all__ = ["load_data_fashion_mnist", "get_dataloader_workers", "get_fashion_mnist_labels", "prepare_torchvision_root"]


def load_data_fashion_mnist(batch_size: int, resize: int | tuple[int, int] | None = None) -> tuple[TensorLoader, TensorLoader]:
    """Fashion-MNIST as ``(train_iter, test_iter)``, d2l's signature and batches, offline and fast.

    The batches hold what d2l's hold: ``X`` float32 ``(batch, 1, 28, 28)`` (or
    ``resize`` pixels a side) in [0, 1], ``y`` int64 ``(batch,)``; the
    training set is reshuffled every pass, the test set is read in order.
    Unlike d2l's, nothing is downloaded at run time: coursekit's data
    directory (filled from a mirror or the system package, verified by
    sha256) provides the images, decoded once into memory instead of one
    image at a time.

    Used in: d2l sections 3.5, 3.6, 3.7, 4.2, 4.3 and 4.6.
    """
    train_iter, test_iter = ck_data.load_data_fashion_mnist(batch_size, resize)
    return train_iter, test_iter


def get_dataloader_workers() -> int:
    """Worker processes for a ``DataLoader``: d2l's 4, or fewer on a machine with fewer cores.

    More workers than cores make PyTorch warn and run no faster. (coursekit's
    own loaders need no workers.)

    Used in: d2l section 3.5.
    """
    return min(4, os.cpu_count() or 1)


def prepare_torchvision_root(root: str | Path | None = None, datasets: tuple[str, ...] = ("fashion-mnist",)) -> str:
    """Put coursekit's verified files where ``torchvision.datasets.FashionMNIST(root=...)`` looks; return ``root``.

    torchvision's ``FashionMNIST`` (and ``MNIST``) classes read
    ``<root>/FashionMNIST/raw/<file>``; with ``download=True`` they download
    only when a file is missing there. This function fills that folder from
    coursekit's data directory (fetching into it first, from a mirror or the
    system package, if needed), checking each file's sha256, so that code
    which calls torchvision itself runs offline::

        mnist_train = torchvision.datasets.FashionMNIST(
            root=d2l.prepare_torchvision_root("../data"), train=True, transform=trans, download=True)

    Without ``root``, coursekit's data directory is returned, which already
    has torchvision's layout: nothing is copied. Files already under ``root``
    that pass the sha256 check are kept, and then coursekit's data directory
    is not needed.

    Args:
        root: the folder the code passes as ``root=`` (relative to the
            current folder, as torchvision reads it); default: coursekit's
            data directory.
        datasets: which data sets to place: ``"fashion-mnist"``, ``"mnist"``.

    Returns:
        ``root`` as a string, to pass on as ``root=``.

    Raises:
        DataUnavailableError: coursekit has no verified copy and no source
            provides one; the message says how to provide the files.

    Used in: d2l section 3.5 (``torchvision.datasets.FashionMNIST(root="../data", download=True)``).
    """
    if isinstance(datasets, str) or not set(datasets) <= set(ck_data.DATASETS):
        raise ValueError(f"prepare_torchvision_root: datasets must be a tuple of {sorted(ck_data.DATASETS)}, got {datasets!r}")
    source_root = ck_data.data_dir()
    target_root = Path(root) if root is not None else source_root
    for name in datasets:
        spec = ck_data.DATASETS[name]
        target = ck_data.raw_folder(spec, target_root)
        todo = [filename for filename, sha256 in spec.sha256.items() if not ck_data.verify_file(target / filename, sha256)]
        if not todo:
            continue
        source = ck_data.ensure_dataset(name, source_root)
        if target.resolve() == source.resolve():
            continue
        target.mkdir(parents=True, exist_ok=True)
        for filename in todo:
            _copy_atomically(source / filename, target / filename)
    return str(target_root)


def _serve_torchvision_downloads() -> None:
    """Make ``torchvision.datasets.MNIST`` and ``FashionMNIST``'s ``download=True`` take coursekit's verified files.

    d2l's code builds these data sets itself (``FashionMNIST(root="../data",
    download=True)``), which downloads from the web. Wrapped here, their
    ``download`` first fills ``<root>/<class name>/raw`` through
    :func:`prepare_torchvision_root` (coursekit's data directory, mirrors,
    system package; an error that says how to provide the files if none has
    them); torchvision's own method then finds the files and downloads
    nothing. Subclasses (``KMNIST``, ``EMNIST``, ``QMNIST``, a reader's own)
    stay torchvision's: their files are other ones. Call it once per process
    (``install()`` does: a second ``install()`` returns at once).

    Used in: :func:`coursekit.d2l.install`, for d2l section 3.5's code run unchanged.
    """
    from torchvision.datasets import MNIST, FashionMNIST

    download = MNIST.download
    names = {MNIST: "mnist", FashionMNIST: "fashion-mnist"}  # the classes whose files coursekit holds

    @functools.wraps(download)
    def download_from_coursekit(self: MNIST) -> None:
        if (name := names.get(type(self))) is not None:
            prepare_torchvision_root(self.root, (name,))
        download(self)

    MNIST.download = download_from_coursekit  # type: ignore[method-assign]


def _copy_atomically(source: Path, dest: Path) -> None:
    """Copy through a temporary file renamed into place: an interrupted copy never leaves a partial file.

    torchvision only checks that the files exist, so a truncated one would be
    read as data.
    """
    with open(source, "rb") as src, atomic_write(dest, "wb") as out:
        shutil.copyfileobj(src, out)

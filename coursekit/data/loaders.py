"""Fast minibatch iterators over MNIST and Fashion-MNIST held in memory.

Each split is decoded once into one uint8 tensor (and resized once, if asked);
a batch is then cut by index and converted to float exactly as
``transforms.ToTensor()`` would (``/ 255``), and normalized as
``transforms.Normalize`` would. No per-image PIL work and no worker processes.
"""

from __future__ import annotations

import functools
import math
import numbers
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import torch
from torchvision import datasets as tv_datasets
from torchvision import transforms
from torchvision.datasets.mnist import read_image_file, read_label_file
from torchvision.transforms import functional as TF

from .fetch import data_dir, ensure_dataset
from .resources import FASHION_MNIST, MNIST, DatasetSpec

__all__ = [
    "DataSplits",
    "ImageTensors",
    "TensorLoader",
    "load_data_fashion_mnist",
    "load_data_mnist",
    "fashion_mnist_datasets",
    "mnist_datasets",
    "load_split",
    "MNIST_MEAN",
    "MNIST_STD",
]

#: The MNIST training set's pixel mean, in [0, 1] units (chapter 5 computes it from the data).
MNIST_MEAN = 0.1307
#: The MNIST training set's pixel standard deviation, in [0, 1] units.
MNIST_STD = 0.3081

Size = int | tuple[int, int]
_RESIZE_CHUNK = 4096  # images resized at a time, to bound the peak memory


class TensorLoader:
    """Minibatches ``(X, y)`` cut from tensors in memory; behaves as a ``DataLoader`` does.

    ``X`` is float32 of shape ``(batch, 1, H, W)`` in [0, 1] (or normalized),
    ``y`` int64 of shape ``(batch,)``. With ``shuffle=True`` every pass draws a
    new order from PyTorch's global random generator (so ``set_seed`` fixes
    it); the last, partial batch is kept.

    Args:
        images: uint8 tensor of shape ``(n, 1, H, W)``.
        labels: class indices, an int64 (or other integer) tensor of shape ``(n,)``.
        batch_size: examples per batch (at least 1).
        shuffle: a new random order every pass.
        mean, std: if given, batches are normalized as ``(X - mean) / std``.
        device: where to keep the data and yield the batches.
        classes: the name of each class, by index (``loader.dataset.classes``).

    Where code written for a ``DataLoader`` touches it, it behaves as one:
    ``len(loader)`` is the number of batches, ``loader.batch_size`` and
    ``loader.dataset`` (with ``len()``, indexing, ``.targets`` and ``.classes``)
    exist, and every ``for`` loop starts a new pass.

    Used in: chapter 5, which builds one over a subset of MNIST; chapter 3
    through ``load_data_fashion_mnist``, whose iterators these are.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        shuffle: bool,
        mean: float | None = None,
        std: float | None = None,
        device: torch.device | str | None = None,
        classes: Sequence[str] | None = None,
    ) -> None:
        _check_batch_size(batch_size)
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise TypeError(f"TensorLoader: images must be uint8 of shape (n, C, H, W), got {images.dtype} {tuple(images.shape)}")
        # Class indices: a float label would be truncated by dataset[i] and refused by CrossEntropyLoss only later.
        if not isinstance(labels, torch.Tensor) or labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
            got = labels.dtype if isinstance(labels, torch.Tensor) else type(labels).__name__
            raise TypeError(
                f"TensorLoader: labels must be an integer tensor of class indices (int64), got {got}; "
                "pass torch.as_tensor(labels), or labels.long() for whole numbers stored as floats"
            )
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"TensorLoader: {images.shape[0]} images but {labels.shape[0]} labels")
        if (mean is None) != (std is None):
            raise ValueError("TensorLoader: give both mean and std, or neither")
        if std is not None and not (math.isfinite(mean) and math.isfinite(std) and std > 0):
            raise ValueError(f"TensorLoader: mean must be finite and std positive (pixels are divided by it), got {mean!r}, {std!r}")
        self.device = torch.device(device) if device is not None else images.device
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.mean, self.std = mean, std
        self.classes = tuple(classes) if classes is not None else None

    @property
    def dataset(self) -> ImageTensors:
        """The examples this loader serves, as a data set (``len(loader.dataset)`` is their number)."""
        return ImageTensors(self)

    def transform(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images as the float tensors a batch holds: in [0, 1], then normalized if asked."""
        X = images.float().div_(255)
        if self.mean is not None:
            X.sub_(self.mean).div_(self.std)
        return X

    @property
    def num_examples(self) -> int:
        return int(self.labels.shape[0])

    def __len__(self) -> int:
        return math.ceil(self.num_examples / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n, size = self.num_examples, self.batch_size
        # Drawn on the CPU so the order is the same whatever the device.
        order = torch.randperm(n).to(self.device) if self.shuffle else None
        for start in range(0, n, size):
            if order is None:
                # A copy of the labels: a caller changing y must not change the split every loader shares.
                X, y = self.images[start : start + size], self.labels[start : start + size].clone()
            else:
                idx = order[start : start + size]
                # index_select is about twice as fast as images[idx] on the CPU.
                X, y = self.images.index_select(0, idx), self.labels.index_select(0, idx)
            yield self.transform(X), y

    def __repr__(self) -> str:
        shape = tuple(self.images.shape[1:])
        return (
            f"TensorLoader({self.num_examples} examples of shape {shape}, batch_size={self.batch_size}, shuffle={self.shuffle}, device={self.device})"
        )


class ImageTensors:
    """The examples behind a :class:`TensorLoader`: what ``loader.dataset`` gives.

    ``len()`` is the number of examples, ``[i]`` the ``(image, label)`` pair a
    batch would hold, ``.targets`` every label and ``.classes`` the class names.

    Used in: chapter 5 through ``TensorLoader`` (``len(train_iter.dataset)``).
    """

    def __init__(self, loader: TensorLoader) -> None:
        self._loader = loader

    def __len__(self) -> int:
        return self._loader.num_examples

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self._loader.transform(self._loader.images[index]), int(self._loader.labels[index])

    @property
    def targets(self) -> torch.Tensor:
        """Every label, a copy (the loader's own tensor may be shared with other loaders)."""
        return self._loader.labels.clone()

    @property
    def classes(self) -> list[str]:
        names = self._loader.classes
        return list(names) if names is not None else [str(i) for i in range(int(self._loader.labels.max()) + 1)]

    def __repr__(self) -> str:
        return f"ImageTensors({len(self)} examples)"


def _check_batch_size(batch_size: int) -> None:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")


def _size(resize: Size | None) -> tuple[int, int] | None:
    if resize is None:
        return None
    pair = tuple(resize) if isinstance(resize, (tuple, list)) else (resize, resize)
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"resize must be an int (the side of a square) or a (height, width) pair of ints, got {resize!r}")
    if min(pair) < 1:
        raise ValueError(f"resize must be at least 1 pixel, got {resize!r}")
    return int(pair[0]), int(pair[1])


def _available_memory() -> int | None:
    """Bytes of memory free for use now; None where that cannot be told (then nothing is refused)."""
    try:
        import psutil  # noqa: PLC0415 (optional: Jupyter installs it)
    except ImportError:  # without it, the physical memory bounds what a resize may take
        if not hasattr(os, "sysconf"):
            return None
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(psutil.virtual_memory().available)


def _check_memory(spec: DatasetSpec, split: str, images: torch.Tensor, size: tuple[int, int]) -> None:
    """Refuse a resize whose split would not fit in memory, before allocating it."""
    n, channels = images.shape[:2]
    # The resized split (one byte a pixel), and one chunk in float32 on its way in and out.
    needed = n * channels * size[0] * size[1] + min(n, _RESIZE_CHUNK) * channels * 4 * (images[0, 0].numel() + 2 * size[0] * size[1])
    available = _available_memory()
    if available is not None and needed > available:
        raise ValueError(
            f"resize={size[0]}x{size[1]} needs about {_amount(needed)} of memory for the {split} split of {spec.name} "
            f"({n} images kept for the rest of the process), but {_amount(available)} is available; choose a smaller resize"
        )


def _amount(num_bytes: float) -> str:
    return f"{num_bytes / 1e9:.1f} GB" if num_bytes >= 1e9 else f"{num_bytes / 1e6:.0f} MB"


def _resize(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize uint8 images ``(n, 1, H, W)`` in chunks, antialiased as PIL's ``Resize`` is."""
    out = torch.empty((images.shape[0], images.shape[1], *size), dtype=torch.uint8)
    for start in range(0, images.shape[0], _RESIZE_CHUNK):
        chunk = images[start : start + _RESIZE_CHUNK]
        out[start : start + _RESIZE_CHUNK] = TF.resize(chunk, list(size), antialias=True)
    return out


@functools.lru_cache(maxsize=8)
def _split(spec: DatasetSpec, split: str, root: Path, size: tuple[int, int] | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The cached tensors of a split, shared by every loader: only the loaders' code sees them."""
    folder = ensure_dataset(spec, root)
    images_file, labels_file = spec.splits[split]
    images = read_image_file(str(folder / images_file)).unsqueeze(1)  # (n, 1, 28, 28) uint8
    labels = read_label_file(str(folder / labels_file))  # (n,) int64
    if size is not None and tuple(images.shape[-2:]) != size:
        _check_memory(spec, split, images, size)
        images = _resize(images, size)
    return images, labels


def load_split(spec: DatasetSpec, split: str, resize: Size | None = None, root: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One split as tensors: uint8 images ``(n, 1, H, W)`` and int64 labels ``(n,)``.

    The data set is fetched and verified first if needed; the decoded (and
    resized) tensors are cached for the rest of the process, and each call
    returns a copy of them, so changing it changes no loader.

    Args:
        spec: ``MNIST`` or ``FASHION_MNIST`` (from ``coursekit.data``).
        split: ``"train"`` or ``"test"``.
        resize: an int (square) or a (height, width) pair.
        root: the data directory, ``~`` expanded (default: ``data_dir()``).

    Used in: the loaders; chapter 3 (the classes' mean images) and chapter 5
    (the pixel statistics).
    """
    if not isinstance(spec, DatasetSpec):
        raise TypeError(f"spec must be a DatasetSpec (coursekit.data.MNIST or FASHION_MNIST), got {spec!r}")
    if split not in spec.splits:
        raise ValueError(f"split must be one of {sorted(spec.splits)}, got {split!r}")
    images, labels = _split(spec, split, data_dir(root), _size(resize))
    return images.clone(), labels.clone()


class DataSplits(NamedTuple):
    """The three loaders of a data set with a validation split: ``train_iter, val_iter, test_iter = ...``.

    Used in: chapter 5 through ``load_data_mnist``.
    """

    train: TensorLoader
    val: TensorLoader
    test: TensorLoader


def validation_indices(num_examples: int, validation: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(training indices, validation indices): ``validation`` examples held out at random, each part in order.

    The draw uses a generator of its own, seeded with ``seed``: the split is the
    same on every run and every machine, and it leaves PyTorch's global random
    state (what ``set_seed`` fixes) untouched.
    """
    if isinstance(validation, bool) or not isinstance(validation, int) or not 0 < validation < num_examples:
        raise ValueError(
            f"validation must be a number of examples between 1 and {num_examples - 1} (the training set holds {num_examples}), got {validation!r}"
        )
    order = torch.randperm(num_examples, generator=torch.Generator().manual_seed(seed))
    return order[validation:].sort().values, order[:validation].sort().values


def _loaders(
    spec: DatasetSpec,
    batch_size: int,
    resize: Size | None,
    root: str | Path | None,
    device: torch.device | str | None,
    shuffle_test: bool,
    stats: tuple[float, float] | None,
    validation: int = 0,
    validation_seed: int = 0,
) -> tuple[TensorLoader, TensorLoader] | DataSplits:
    _check_batch_size(batch_size)
    mean, std = stats if stats is not None else (None, None)
    size, root_path = _size(resize), data_dir(root)

    def loader(images: torch.Tensor, labels: torch.Tensor, shuffle: bool) -> TensorLoader:
        return TensorLoader(images, labels, batch_size, shuffle, mean, std, device, spec.classes)

    images, labels = _split(spec, "train", root_path, size)
    test = loader(*_split(spec, "test", root_path, size), shuffle_test)
    if not validation:
        return loader(images, labels, True), test
    train_idx, val_idx = validation_indices(len(labels), validation, validation_seed)
    return DataSplits(loader(images[train_idx], labels[train_idx], True), loader(images[val_idx], labels[val_idx], False), test)


def load_data_fashion_mnist(
    batch_size: int,
    resize: Size | None = None,
    *,
    root: str | Path | None = None,
    device: torch.device | str | None = None,
    shuffle_test: bool = False,
    validation: int = 0,
    validation_seed: int = 0,
) -> tuple[TensorLoader, TensorLoader] | DataSplits:
    """Fashion-MNIST as (train_iter, test_iter), the d2l chapter-3 signature, offline and fast.

    Args:
        batch_size: examples per batch.
        resize: resize every image once, to ``resize`` x ``resize`` (or a
            (height, width) pair). The resized splits stay in memory for the
            rest of the process, one byte per pixel: 290 MB and a few seconds
            for 64 x 64, 3.5 GB for 224 x 224.
        root: the data directory, ``~`` expanded (default: ``data_dir()``).
        device: keep the data on this device (for example a GPU) and yield
            batches there.
        shuffle_test: also shuffle the test set (it is read in order by default).
        validation: hold out this many training examples, drawn at random, as
            a validation set (for example 10_000); then three loaders are
            returned. Choose epochs, learning rates and models on it, and use
            the test set once, at the end.
        validation_seed: which random draw makes the validation set (the
            same on every run and machine, whatever the global seed).

    Returns:
        ``(train_iter, test_iter)``; with ``validation``, a :class:`DataSplits`
        ``(train_iter, val_iter, test_iter)``. Each yields ``X`` float32
        ``(batch, 1, 28, 28)`` (``(batch, 1, H, W)`` with ``resize``) in [0, 1]
        and ``y`` int64 ``(batch,)``; the training one reshuffles every pass,
        the others read in order.

    Used in: chapter 3.
    """
    return _loaders(FASHION_MNIST, batch_size, resize, root, device, shuffle_test, None, validation, validation_seed)


def load_data_mnist(
    batch_size: int,
    resize: Size | None = None,
    normalize: bool | tuple[float, float] = False,
    *,
    root: str | Path | None = None,
    device: torch.device | str | None = None,
    shuffle_test: bool = False,
    validation: int = 0,
    validation_seed: int = 0,
) -> tuple[TensorLoader, TensorLoader] | DataSplits:
    """MNIST as (train_iter, test_iter), like :func:`load_data_fashion_mnist` (``validation`` too).

    Args:
        normalize: ``False`` keeps pixels in [0, 1]; ``True`` standardizes with
            the training set's mean 0.1307 and standard deviation 0.3081; a
            ``(mean, std)`` pair uses those values.

    Used in: chapter 5.
    """
    return _loaders(MNIST, batch_size, resize, root, device, shuffle_test, _stats(normalize), validation, validation_seed)


def _stats(normalize: bool | tuple[float, float]) -> tuple[float, float] | None:
    if normalize is True or normalize is False:
        return (MNIST_MEAN, MNIST_STD) if normalize else None
    pair = tuple(normalize) if isinstance(normalize, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in pair):
        raise ValueError(f"normalize must be True, False or a (mean, std) pair of finite numbers, got {normalize!r}")
    if not pair[1] > 0:
        raise ValueError(
            f"normalize=(mean, std) needs std > 0, got {normalize!r}: pixels are divided by std; "
            f"MNIST's training set has std {MNIST_STD} (normalize=True)"
        )
    return float(pair[0]), float(pair[1])


def _datasets(spec: DatasetSpec, cls: type, transform, root: str | Path | None):
    root_path = data_dir(root)
    ensure_dataset(spec, root_path)
    transform = transform if transform is not None else transforms.ToTensor()
    return (
        cls(root=str(root_path), train=True, transform=transform, download=False),
        cls(root=str(root_path), train=False, transform=transform, download=False),
    )


def fashion_mnist_datasets(transform=None, root: str | Path | None = None) -> tuple[tv_datasets.FashionMNIST, tv_datasets.FashionMNIST]:
    """The standard ``torchvision.datasets.FashionMNIST`` (train, test), from the verified files.

    Args:
        transform: applied to each PIL image (default ``transforms.ToTensor()``).
        root: the data directory, ``~`` expanded (default: ``data_dir()``).

    Used in: chapter 3 (the standard torchvision + ``DataLoader`` path).
    """
    return _datasets(FASHION_MNIST, tv_datasets.FashionMNIST, transform, root)


def mnist_datasets(transform=None, root: str | Path | None = None) -> tuple[tv_datasets.MNIST, tv_datasets.MNIST]:
    """The standard ``torchvision.datasets.MNIST`` (train, test), from the verified files.

    Used in: no chapter (chapter 5 uses ``load_data_mnist``); MNIST's counterpart of
    ``fashion_mnist_datasets``, for the standard torchvision + ``DataLoader`` path.
    """
    return _datasets(MNIST, tv_datasets.MNIST, transform, root)

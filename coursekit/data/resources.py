"""The data sets the course uses, written as data: files, checksums, sources, class names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from torchvision import datasets as tv_datasets

__all__ = [
    "DatasetSpec",
    "FASHION_MNIST",
    "MNIST",
    "DATASETS",
    "FASHION_MNIST_LABELS",
    "get_fashion_mnist_labels",
]


@dataclass(frozen=True)
class DatasetSpec:
    """Everything about one data set: its files, their checksums and where they come from.

    Immutable and hashable, so a spec can key a cache directly.

    Attributes:
        name: the folder name in a mirror (``mnist``, ``fashion-mnist``).
        folder: torchvision's folder name; files live in ``<data dir>/<folder>/raw``.
        sha256: decompressed file name -> sha256 of its (decompressed) IDX content.
        splits: ``"train"``/``"test"`` -> (images file, labels file).
        system_dirs: folders a system package installs the ``.gz`` files into.
        upstream: base URLs of the publishers' ``<file>.gz`` (those torchvision uses).
        classes: the name of each class, by index.
        system_package: the Debian package that fills ``system_dirs``, if any.

    Used in: the loaders and ``python -m coursekit.data``; chapters 3 and 5 pass
    ``FASHION_MNIST`` or ``MNIST`` to ``load_split``.
    """

    name: str
    folder: str
    sha256: Mapping[str, str]
    splits: Mapping[str, tuple[str, str]]
    system_dirs: tuple[Path, ...]
    upstream: tuple[str, ...]
    classes: tuple[str, ...] = tuple(str(digit) for digit in range(10))
    system_package: str | None = None

    def __post_init__(self) -> None:
        # Read-only copies: a spec keys caches, so it must not change after hashing.
        object.__setattr__(self, "sha256", MappingProxyType(dict(self.sha256)))
        object.__setattr__(self, "splits", MappingProxyType({k: tuple(v) for k, v in self.splits.items()}))
        object.__setattr__(self, "system_dirs", tuple(Path(d) for d in self.system_dirs))
        object.__setattr__(self, "upstream", tuple(self.upstream))
        object.__setattr__(self, "classes", tuple(self.classes))

    def __hash__(self) -> int:
        return hash((self.name, self.folder, tuple(self.sha256.items()), tuple(self.splits.items()),
                     self.system_dirs, self.upstream, self.classes, self.system_package))  # fmt: skip

    @property
    def files(self) -> list[str]:
        """The decompressed file names; the published ones add ``.gz``."""
        return list(self.sha256)


_SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# sha256 of the decompressed IDX files. Compressed bytes differ between gzip
# implementations (Debian recompressed Fashion-MNIST), the IDX content does not.
#: MNIST's files, checksums, mirrors and classes (the digits).
#:
#: :meta hide-value:
MNIST = DatasetSpec(
    name="mnist",
    folder="MNIST",
    sha256={
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    splits=_SPLITS,
    system_dirs=(),
    upstream=tuple(tv_datasets.MNIST.mirrors),
)

#: Fashion-MNIST's ten class names as d2l writes them, in label order.
FASHION_MNIST_LABELS = (
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)  # fmt: skip

#: Fashion-MNIST's files, checksums, mirrors, Debian's copy and class names.
#:
#: :meta hide-value:
FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    folder="FashionMNIST",
    sha256={
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    splits=_SPLITS,
    system_dirs=(Path("/usr/share/datasets/fashion-mnist"),),
    upstream=tuple(tv_datasets.FashionMNIST.mirrors),
    classes=FASHION_MNIST_LABELS,
    system_package="dataset-fashion-mnist",
)

#: Every data set coursekit reads, by name (``"mnist"``, ``"fashion-mnist"``).
#:
#: :meta hide-value:
DATASETS = {spec.name: spec for spec in (MNIST, FASHION_MNIST)}


def get_fashion_mnist_labels(labels: Iterable[int]) -> list[str]:
    """Text labels of Fashion-MNIST class indices (0 to 9).

    Args:
        labels: class indices, a list or a tensor of shape ``(n,)``.

    Used in: chapter 3.
    """
    names = []
    for label in labels:
        i = int(label)
        if not 0 <= i < len(FASHION_MNIST_LABELS):
            raise ValueError(f"get_fashion_mnist_labels: {i} is not a class index (0 to 9)")
        names.append(FASHION_MNIST_LABELS[i])
    return names

"""MNIST and Fashion-MNIST: offline, verified by checksum, and fast."""

from .fetch import DataUnavailableError, data_dir, ensure_dataset, mirrors, raw_folder, verify_file
from .loaders import (
    MNIST_MEAN,
    MNIST_STD,
    DataSplits,
    ImageTensors,
    TensorLoader,
    fashion_mnist_datasets,
    load_data_fashion_mnist,
    load_data_mnist,
    load_split,
    mnist_datasets,
)
from .resources import DATASETS, FASHION_MNIST, FASHION_MNIST_LABELS, MNIST, DatasetSpec, get_fashion_mnist_labels

__all__ = [
    "DATASETS",
    "FASHION_MNIST",
    "FASHION_MNIST_LABELS",
    "MNIST",
    "MNIST_MEAN",
    "MNIST_STD",
    "DataSplits",
    "DataUnavailableError",
    "DatasetSpec",
    "ImageTensors",
    "TensorLoader",
    "data_dir",
    "ensure_dataset",
    "fashion_mnist_datasets",
    "get_fashion_mnist_labels",
    "load_data_fashion_mnist",
    "load_data_mnist",
    "load_split",
    "mirrors",
    "mnist_datasets",
    "raw_folder",
    "verify_file",
]

"""coursekit: the helpers of the course "Classification with PyTorch".

The names follow the d2l book (``load_data_fashion_mnist``, ``Accumulator``,
``train_ch3``, ...) with the same call signatures, written to run offline, fast
and headless. Importing coursekit does nothing else: no downloads, no seeds, no
matplotlib settings.
"""

from .data import (
    FASHION_MNIST_LABELS,
    MNIST_MEAN,
    MNIST_STD,
    DataUnavailableError,
    TensorLoader,
    data_dir,
    fashion_mnist_datasets,
    get_fashion_mnist_labels,
    load_data_fashion_mnist,
    load_data_mnist,
    mnist_datasets,
)
from .metrics import Accumulator, Evaluation, accuracy, eval_mode, evaluate, evaluate_accuracy, evaluate_loss
from .plotting import Animator, plot, set_axes, set_figsize, show_images, use_svg_display
from .train import History, Progress, fit, predict_ch3, sgd, train_ch3, train_epoch_ch3
from .utils import Timer, set_seed, try_all_gpus, try_gpu

__version__ = "0.1.0"

__all__ = [
    # data
    "FASHION_MNIST_LABELS",
    "MNIST_MEAN",
    "MNIST_STD",
    "DataUnavailableError",
    "TensorLoader",
    "data_dir",
    "fashion_mnist_datasets",
    "get_fashion_mnist_labels",
    "load_data_fashion_mnist",
    "load_data_mnist",
    "mnist_datasets",
    # metrics
    "Accumulator",
    "Evaluation",
    "accuracy",
    "eval_mode",
    "evaluate",
    "evaluate_accuracy",
    "evaluate_loss",
    # plot
    "Animator",
    "plot",
    "set_axes",
    "set_figsize",
    "show_images",
    "use_svg_display",
    # train
    "History",
    "Progress",
    "fit",
    "predict_ch3",
    "sgd",
    "train_ch3",
    "train_epoch_ch3",
    # utils
    "Timer",
    "set_seed",
    "try_all_gpus",
    "try_gpu",
]

"""Shared fixtures: a tiny synthetic data set with its own checksum table, and the real mirror."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # headless, whatever the machine has

from coursekit.data import fetch
from coursekit.data.resources import DATASETS, DatasetSpec

REPO = Path(__file__).resolve().parents[1]


def idx_bytes(array: np.ndarray) -> bytes:
    """An array of uint8 in the IDX format of MNIST (magic 0x08 = unsigned byte)."""
    header = struct.pack(">I", 0x0800 | array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@dataclass
class Tiny:
    """A tiny MNIST-like data set registered under the name "tiny" for the test's duration."""

    spec: DatasetSpec
    files: dict[str, bytes]  # decompressed content by file name
    mirror: Path  # a mirror folder holding tiny/<file>.gz

    def write_mirror(self, folder: Path, corrupt: dict[str, bytes] | None = None) -> Path:
        """Write every file as .gz under folder/tiny/; ``corrupt`` replaces some .gz payloads."""
        (folder / "tiny").mkdir(parents=True, exist_ok=True)
        for name, content in self.files.items():
            payload = (corrupt or {}).get(name, gzip.compress(content))
            (folder / "tiny" / f"{name}.gz").write_bytes(payload)
        return folder


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> Tiny:
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (10, 28, 28), dtype=np.uint8)),
        "train-labels-idx1-ubyte": idx_bytes(np.arange(10, dtype=np.uint8) % 10),
        "t10k-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)),
        "t10k-labels-idx1-ubyte": idx_bytes(np.array([3, 1, 4, 1], dtype=np.uint8)),
    }
    spec = DatasetSpec(
        name="tiny",
        folder="Tiny",
        sha256={name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
        splits={"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"), "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")},
        system_dirs=(tmp_path / "no-system-package",),
        # A closed port on this machine: refused at once, and nothing leaves it.
        upstream=("http://127.0.0.1:9/",),
    )
    monkeypatch.setitem(DATASETS, "tiny", spec)
    monkeypatch.delenv("COURSEKIT_MIRRORS", raising=False)
    data = Tiny(spec, files, tmp_path / "mirror")
    data.write_mirror(data.mirror)
    return data


def _real_mirror() -> Path | None:
    candidates = [Path(m) for m in fetch.mirrors() if "://" not in m] + [REPO.parent / "shared" / "datasets"]
    for folder in candidates:
        if (folder / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file():
            return folder.resolve()
    return None


@pytest.fixture
def real_mirror(monkeypatch) -> Path:
    """The local mirror of the real data sets (COURSEKIT_MIRRORS, or ../shared/datasets)."""
    folder = _real_mirror()
    if folder is None:
        pytest.skip("no local mirror of MNIST/Fashion-MNIST: set COURSEKIT_MIRRORS to run this test")
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(folder))
    return folder


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def pytest_report_header(config):
    folder = _real_mirror()
    data = os.environ.get("COURSEKIT_DATA", "(default)")
    return f"data mirror: {folder or 'none (tests that need the real data sets are skipped)'}; COURSEKIT_DATA={data}"


@pytest.fixture
def d2l():
    """The d2l 0.17.6 reference for parity tests; only the tests that ask for it are skipped without it."""
    return pytest.importorskip("d2l.torch", reason="the d2l reference is installed by `make test` (pip install --no-deps -r requirements-d2l.txt)")


@pytest.fixture(scope="session")
def load_source():
    """Load a Python file that no package holds (book/_ext/*.py, tools/*.py) as a fresh module: ``load_source("tools/x.py")``."""

    def load(relative: str) -> ModuleType:
        path = REPO / relative
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load

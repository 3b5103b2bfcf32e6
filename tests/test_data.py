"""coursekit.data: sources, verification, atomic writes, the error text, and the loaders."""

from __future__ import annotations

import dataclasses
import gzip
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torchvision
from torchvision import transforms

import coursekit
from coursekit.data import FASHION_MNIST, MNIST, DataUnavailableError, ensure_dataset, fetch, load_split
from coursekit.data.resources import DATASETS

# ------------------------------------------------------------ sources ---


def test_loads_through_a_mirror_folder(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(tiny.mirror))
    folder = ensure_dataset("tiny", tmp_path / "data")
    assert folder == tmp_path / "data" / "Tiny" / "raw"
    for name, content in tiny.files.items():
        assert (folder / name).read_bytes() == content
    assert "sha256 verified" in capsys.readouterr().out


def test_a_file_url_mirror_works_too(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_MIRRORS", tiny.mirror.as_uri())
    folder = ensure_dataset("tiny", tmp_path / "data", verbose=False)
    assert all((folder / name).read_bytes() == content for name, content in tiny.files.items())


def _flip_one_byte(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda gz: _flip_one_byte(gz, len(gz) // 2), "rejected"),  # one flipped byte
        (lambda gz: gz[: len(gz) // 2], "truncated gzip"),  # a cut-off download
    ],
    ids=["flipped-byte", "truncated"],
)
def test_a_damaged_copy_is_rejected_and_the_next_source_used(tiny, tmp_path, monkeypatch, capsys, damage, reason):
    name = "train-images-idx3-ubyte"
    bad = tiny.write_mirror(tmp_path / "bad", corrupt={name: damage(gzip.compress(tiny.files[name]))})
    monkeypatch.setenv("COURSEKIT_MIRRORS", os.pathsep.join([str(bad), str(tiny.mirror)]))
    folder = ensure_dataset("tiny", tmp_path / "data")
    assert (folder / name).read_bytes() == tiny.files[name]
    out = capsys.readouterr().out
    # The message names the file, the source that gave the bad copy, and what was wrong.
    rejection = next(line for line in out.splitlines() if "trying the next source" in line)
    assert f"{name}.gz" in rejection and str(bad / "tiny") in rejection and reason in rejection
    assert f"{name} <- mirror {tiny.mirror / 'tiny'}" in out
    assert not list(folder.glob(".*.part")), "no temporary file is left behind"


def test_a_wrong_file_with_a_valid_gzip_is_rejected(tiny, tmp_path, monkeypatch):
    name = "t10k-labels-idx1-ubyte"
    other = gzip.compress(tiny.files["train-labels-idx1-ubyte"])  # a valid gzip of the wrong file
    bad = tiny.write_mirror(tmp_path / "bad", corrupt={name: other})
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(bad))
    with pytest.raises(DataUnavailableError, match="content sha256 is"):
        ensure_dataset("tiny", tmp_path / "data", verbose=False)
    assert not (tmp_path / "data" / "Tiny" / "raw" / name).exists()


def test_a_corrupt_file_in_the_data_directory_is_fetched_again(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(tiny.mirror))
    folder = ensure_dataset("tiny", tmp_path / "data", verbose=False)
    target = folder / "t10k-images-idx3-ubyte"
    target.write_bytes(_flip_one_byte(target.read_bytes(), 100))
    ensure_dataset("tiny", tmp_path / "data", verbose=False)
    assert target.read_bytes() == tiny.files["t10k-images-idx3-ubyte"]


def test_offline_a_corrupt_file_in_the_data_directory_is_reported_as_corrupt_not_missing(tiny, tmp_path):
    folder = tmp_path / "data" / "Tiny" / "raw"
    folder.mkdir(parents=True)
    corrupt, absent = "t10k-images-idx3-ubyte", "train-images-idx3-ubyte"
    for name, content in tiny.files.items():
        if name != absent:
            (folder / name).write_bytes(content if name != corrupt else content[:-10])  # cut short
    with pytest.raises(DataUnavailableError) as info:
        ensure_dataset("tiny", tmp_path / "data", verbose=False)
    first, *rest = str(info.value).splitlines()
    assert first == (
        f"The tiny files {absent} are not in {folder}; {corrupt} are in {folder} but fail their sha256 check "
        "(corrupt or incomplete), and no source could provide a verified copy."
    )
    assert f"  - {corrupt} in data directory {folder}: fails its sha256 check (corrupt or incomplete)" in rest
    assert f"  - {corrupt}(.gz) not found at data directory {folder}" not in rest
    assert f"  - {absent}(.gz) not found at data directory {folder}" in rest


def test_the_system_package_folder_is_a_source(tiny, tmp_path, monkeypatch):
    system = tmp_path / "system"
    system.mkdir()
    for name, content in tiny.files.items():
        (system / f"{name}.gz").write_bytes(gzip.compress(content))
    monkeypatch.setitem(DATASETS, "tiny", dataclasses.replace(tiny.spec, system_dirs=(system,)))
    folder = ensure_dataset("tiny", tmp_path / "data", verbose=False)
    assert (folder / "train-labels-idx1-ubyte").read_bytes() == tiny.files["train-labels-idx1-ubyte"]


def test_no_source_at_all_gives_one_clear_error(tiny, tmp_path, monkeypatch):
    spec = dataclasses.replace(FASHION_MNIST, system_dirs=(tmp_path / "none",), upstream=("http://127.0.0.1:9/",))
    monkeypatch.setitem(DATASETS, "fashion-mnist", spec)
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(tmp_path / "empty-mirror"))
    with pytest.raises(RuntimeError) as info:
        ensure_dataset("fashion-mnist", tmp_path / "data", verbose=False)
    message = str(info.value)
    assert isinstance(info.value, DataUnavailableError) and info.value.__cause__ is None
    for name in FASHION_MNIST.files:
        assert name in message
    assert "COURSEKIT_MIRRORS" in message  # fix 1
    assert "apt-get install dataset-fashion-mnist" in message  # fix 2
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path / "data" / "FashionMNIST" / "raw") in message  # fix 3
    assert "Traceback" not in message


def test_an_unreachable_host_is_tried_once_not_once_per_file(tiny, tmp_path):
    with pytest.raises(DataUnavailableError) as info:
        ensure_dataset("tiny", tmp_path / "data", verbose=False)
    message = str(info.value)
    assert message.count("Connection refused") == 1
    assert message.count("upstream http://127.0.0.1:9/ skipped (127.0.0.1:9 unreachable earlier in this call)") == 3


def test_mirrors_are_split_by_pathsep_keeping_urls_whole(monkeypatch):
    entries = ["/srv/data", "http://host:8080/mirror", "https://example.org/x", "file:///tmp/m"]
    monkeypatch.setenv("COURSEKIT_MIRRORS", os.pathsep.join(entries))
    assert fetch.mirrors() == entries


def test_data_dir_is_one_place_whatever_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSEKIT_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    assert fetch.data_dir() == Path(__file__).resolve().parents[1] / "data"
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "elsewhere"))
    assert fetch.data_dir() == (tmp_path / "elsewhere").resolve()


def test_unknown_data_set_name():
    with pytest.raises(ValueError, match="unknown data set"):
        ensure_dataset("cifar")


# ------------------------------------------------------------ loaders ---


@pytest.fixture
def tiny_loaders(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(tiny.mirror))
    root = tmp_path / "data"
    images, labels = load_split(tiny.spec, "train", root=root)
    return images, labels, root


def test_split_tensors(tiny_loaders):
    images, labels, _ = tiny_loaders
    assert images.shape == (10, 1, 28, 28) and images.dtype == torch.uint8
    assert labels.tolist() == list(range(10)) and labels.dtype == torch.int64


def test_batch_count_and_last_partial_batch(tiny_loaders):
    images, labels, _ = tiny_loaders
    loader = coursekit.TensorLoader(images, labels, batch_size=4, shuffle=True)
    sizes = [len(y) for _, y in loader]
    assert len(loader) == 3 and sizes == [4, 4, 2]
    X, y = next(iter(loader))
    assert X.shape == (4, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert 0.0 <= X.min() and X.max() <= 1.0
    seen = torch.cat([y for _, y in loader])
    assert sorted(seen.tolist()) == list(range(10)), "every example once per epoch"


def test_a_new_shuffle_every_epoch_and_the_same_with_the_same_seed(tiny_loaders):
    images, labels, _ = tiny_loaders
    loader = coursekit.TensorLoader(images, labels, batch_size=10, shuffle=True)
    coursekit.set_seed(1)
    first, second = [next(iter(loader))[1].tolist() for _ in range(2)]
    assert first != second
    coursekit.set_seed(1)
    again = next(iter(loader))
    assert again[1].tolist() == first


def test_a_loader_has_what_dataloader_code_reads(tiny_loaders):
    images, labels, _ = tiny_loaders
    loader = coursekit.TensorLoader(images, labels, batch_size=4, shuffle=False, mean=0.5, std=0.25, classes=[f"c{i}" for i in range(10)])
    assert len(loader.dataset) == 10 and loader.batch_size == 4 and len(loader) == 3
    X0, y0 = loader.dataset[3]
    X, y = next(iter(loader))
    assert torch.equal(X0, X[3]) and y0 == int(y[3]) == 3, "an example is what its batch holds"
    assert torch.equal(loader.dataset.targets, labels) and loader.dataset.classes[3] == "c3"
    first_pass = [y.tolist() for _, y in loader]
    assert [y.tolist() for _, y in loader] == first_pass, "every for loop starts a new pass"
    plain = coursekit.TensorLoader(images, labels, batch_size=4, shuffle=False)
    assert plain.dataset.classes == [str(i) for i in range(10)]


def test_the_chapter_loaders_name_their_classes():
    assert MNIST.classes == tuple("0123456789")
    # d2l's names: torchvision's, in lower case, "T-shirt/top" shortened
    upstream = [name.lower().removesuffix("/top") for name in torchvision.datasets.FashionMNIST.classes]
    assert list(FASHION_MNIST.classes) == upstream


def test_test_iterator_is_in_order_unless_asked(tiny_loaders):
    images, labels, _ = tiny_loaders
    ordered = coursekit.TensorLoader(images, labels, batch_size=3, shuffle=False)
    assert torch.cat([y for _, y in ordered]).tolist() == list(range(10))
    torch.manual_seed(0)
    shuffled = coursekit.TensorLoader(images, labels, batch_size=3, shuffle=True)
    passes = [torch.cat([y for _, y in shuffled]).tolist() for _ in range(3)]
    assert all(sorted(p) == list(range(10)) for p in passes), "each pass holds every example once"
    assert any(p != list(range(10)) for p in passes) and passes[0] != passes[1], "asked, it shuffles, anew each pass"


def test_bad_arguments(tiny_loaders):
    images, labels, root = tiny_loaders
    with pytest.raises(ValueError, match="batch_size"):
        coursekit.TensorLoader(images, labels, batch_size=0, shuffle=True)
    with pytest.raises(TypeError, match="uint8"):
        coursekit.TensorLoader(images.float(), labels, batch_size=2, shuffle=True)
    with pytest.raises(ValueError, match="resize"):
        load_split(DATASETS["tiny"], "train", resize=(0, 5), root=root)
    with pytest.raises(ValueError, match="split"):
        load_split(DATASETS["tiny"], "validation", root=root)


@pytest.mark.parametrize("labels", [torch.arange(10.0), torch.arange(10) % 2 == 0, list(range(10))], ids=["float", "bool", "list"])
def test_labels_that_are_not_integer_class_indices_are_refused(tiny_loaders, labels):
    images, _, _ = tiny_loaders
    with pytest.raises(TypeError, match="^TensorLoader: labels must be an integer tensor of class indices"):
        coursekit.TensorLoader(images, labels, batch_size=2, shuffle=True)
    for dtype in (torch.uint8, torch.int32, torch.int64):  # any integer type is a class index
        assert len(coursekit.TensorLoader(images, torch.arange(10, dtype=dtype), batch_size=2, shuffle=True)) == 5


def test_changing_a_split_in_place_changes_no_loader(tiny, tiny_loaders):
    """Case 11: load_split gives copies; the tensors the loaders share stay as they were."""
    from coursekit.data.loaders import _loaders  # the loaders of a data set, here the tiny one

    images, labels, root = tiny_loaders
    original = images.clone()
    older, older_test = _loaders(tiny.spec, 10, None, root, None, False, None)
    images.zero_()
    labels.fill_(7)
    next(iter(older_test))[1].fill_(9)  # a batch's labels, read in order
    older.dataset.targets.fill_(9)
    assert load_split(tiny.spec, "test", root=root)[1].tolist() == [3, 1, 4, 1]
    newer, _ = _loaders(tiny.spec, 10, None, root, None, False, None)
    again, again_labels = load_split(tiny.spec, "train", root=root)
    assert torch.equal(again, original) and again_labels.tolist() == list(range(10))
    for loader in (older, newer):
        assert torch.equal(loader.images, original) and sorted(loader.dataset.targets.tolist()) == list(range(10))


def test_normalize_needs_a_positive_std(real_mirror, tmp_path_factory):
    """Case 10: normalize=(mean, 0.0) would divide every pixel by zero."""
    root = tmp_path_factory.getbasetemp() / "real-data"
    for bad in ((0.1307, 0.0), (0.1307, -1.0), (0.1307, float("nan")), (0.1, 0.2, 0.3), ("0.1", 0.3)):
        with pytest.raises(ValueError, match="normalize"):
            coursekit.load_data_mnist(8, normalize=bad, root=root)
    with pytest.raises(ValueError, match="std positive"):
        coursekit.TensorLoader(torch.zeros(2, 1, 2, 2, dtype=torch.uint8), torch.zeros(2, dtype=torch.int64), 2, False, mean=0.5, std=0.0)


@pytest.mark.parametrize("resize", [28.0, True, "28", (28, 28.5), (28,)])
def test_resize_of_the_wrong_type_names_resize(tiny_loaders, resize):
    """Case 12: a TypeError that names the argument, not one from deep inside torch."""
    _, _, root = tiny_loaders
    with pytest.raises(TypeError, match="^resize must be an int"):
        load_split(DATASETS["tiny"], "train", resize=resize, root=root)


def test_a_resize_that_does_not_fit_in_memory_is_refused_with_the_numbers(tiny_loaders, monkeypatch):
    """Case 13: refused before allocating, saying how much it needs and how much there is."""
    _, _, root = tiny_loaders
    from coursekit.data import loaders

    monkeypatch.setattr(loaders, "_available_memory", lambda: 1_000_000)
    with pytest.raises(ValueError, match=r"^resize=1000x1000 needs about 90 MB of memory .* but 1 MB is available"):
        load_split(DATASETS["tiny"], "train", resize=1000, root=root)
    assert load_split(DATASETS["tiny"], "train", resize=10, root=root)[0].shape == (10, 1, 10, 10), "a small one fits"


def test_root_must_be_a_path(tiny):
    for bad in (5, "", b"data"):
        with pytest.raises(TypeError, match="root must be a folder path"):
            load_split(tiny.spec, "train", root=bad)


def test_labels_text():
    assert coursekit.get_fashion_mnist_labels([0, 9, 6]) == ["t-shirt", "ankle boot", "shirt"]
    assert coursekit.get_fashion_mnist_labels(torch.tensor([1, 8])) == ["trouser", "bag"]
    with pytest.raises(ValueError, match="not a class index"):
        coursekit.get_fashion_mnist_labels([10])


# ----------------------------------------------- the real data sets ---


def test_fashion_mnist_loaders_shapes_and_resize(real_mirror, tmp_path_factory):
    root = tmp_path_factory.getbasetemp() / "real-data"
    train_iter, test_iter = coursekit.load_data_fashion_mnist(256, root=root)
    assert len(train_iter) == 235 and len(test_iter) == 40  # 60,000 / 256 and 10,000 / 256, rounded up
    assert [len(y) for _, y in test_iter][-1] == 10_000 - 39 * 256
    X, y = next(iter(train_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    train_iter, test_iter = coursekit.load_data_fashion_mnist(32, resize=64, root=root)
    assert next(iter(test_iter))[0].shape == (32, 1, 64, 64)
    assert next(iter(coursekit.load_data_fashion_mnist(8, resize=(32, 48), root=root)[0]))[0].shape == (8, 1, 32, 48)


def test_batches_equal_torchvisions_to_tensor_exactly(real_mirror, tmp_path_factory):
    root = tmp_path_factory.getbasetemp() / "real-data"
    _, test_ds = coursekit.fashion_mnist_datasets(root=root)
    _, test_iter = coursekit.load_data_fashion_mnist(16, root=root)
    X, y = next(iter(test_iter))
    expected = torch.stack([test_ds[i][0] for i in range(16)])
    assert torch.equal(X, expected)
    assert y.tolist() == [test_ds[i][1] for i in range(16)]


def test_resize_matches_torchvision_resize_closely(real_mirror, tmp_path_factory):
    root = tmp_path_factory.getbasetemp() / "real-data"
    _, test_ds = coursekit.fashion_mnist_datasets(transforms.Compose([transforms.Resize(64), transforms.ToTensor()]), root=root)
    _, test_iter = coursekit.load_data_fashion_mnist(8, resize=64, root=root)
    X, _ = next(iter(test_iter))
    expected = torch.stack([test_ds[i][0] for i in range(8)])
    # PIL and torch antialias differently by a grey level or two; the images are the same.
    assert (X - expected).abs().mean() < 2 / 255


def test_mnist_normalization(real_mirror, tmp_path_factory):
    root = tmp_path_factory.getbasetemp() / "real-data"
    images, _ = load_split(MNIST, "train", root=root)
    pixels = images.float() / 255
    assert round(pixels.mean().item(), 4) == coursekit.MNIST_MEAN
    assert round(pixels.std().item(), 4) == coursekit.MNIST_STD
    train_iter, _ = coursekit.load_data_mnist(60_000, normalize=True, root=root)
    X, _ = next(iter(train_iter))
    assert abs(X.mean().item()) < 1e-3 and abs(X.std().item() - 1) < 1e-3
    with pytest.raises(ValueError, match="normalize"):
        coursekit.load_data_mnist(8, normalize="yes", root=root)


def test_two_processes_loading_into_an_empty_data_directory(real_mirror, tmp_path):
    root = tmp_path / "shared-data"
    script = textwrap.dedent(
        f"""
        import coursekit
        train_iter, test_iter = coursekit.load_data_fashion_mnist(256, root={str(root)!r})
        X, y = next(iter(test_iter))
        print("loaded", len(train_iter), tuple(X.shape))
        """
    )
    env = {**os.environ, "COURSEKIT_MIRRORS": str(real_mirror)}
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    for out, err, code in results:
        assert code == 0, err
        assert "loaded 235 (256, 1, 28, 28)" in out
    folder = root / "FashionMNIST" / "raw"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FASHION_MNIST.files), "no temporary files left"
    for name, expected in FASHION_MNIST.sha256.items():
        assert fetch.verify_file(folder / name, expected)


def test_a_validation_split_is_held_out_of_the_training_data(tiny_loaders):
    _, _, root = tiny_loaders
    from coursekit.data.loaders import _loaders  # the loaders of a data set, here the tiny one

    coursekit.set_seed(5)
    before = torch.get_rng_state()
    splits = _loaders(DATASETS["tiny"], 2, None, root, None, False, None, validation=3)
    assert torch.equal(torch.get_rng_state(), before), "the split leaves the global random state alone"
    train_iter, val_iter, test_iter = splits
    assert isinstance(splits, coursekit.data.DataSplits) and splits.val is val_iter
    assert (len(train_iter.dataset), len(val_iter.dataset), len(test_iter.dataset)) == (7, 3, 4)
    train, val = set(train_iter.dataset.targets.tolist()), set(val_iter.dataset.targets.tolist())
    assert not train & val and train | val == set(range(10)), "every training example is in exactly one part"
    assert train_iter.shuffle and not val_iter.shuffle and not test_iter.shuffle
    again = _loaders(DATASETS["tiny"], 2, None, root, None, False, None, validation=3)
    assert again.val.dataset.targets.tolist() == val_iter.dataset.targets.tolist(), "the same split every time"
    draws = (_loaders(DATASETS["tiny"], 2, None, root, None, False, None, validation=3, validation_seed=s) for s in range(1, 6))
    other = {tuple(splits.val.dataset.targets.tolist()) for splits in draws}
    assert len(other) > 1, "another validation_seed draws another split"
    assert len(_loaders(DATASETS["tiny"], 2, None, root, None, False, None)) == 2, "d2l's two-value call is unchanged"
    for bad in (10, -1, 2.5, True):
        with pytest.raises(ValueError, match="validation must be a number of examples between 1 and 9"):
            _loaders(DATASETS["tiny"], 2, None, root, None, False, None, validation=bad)

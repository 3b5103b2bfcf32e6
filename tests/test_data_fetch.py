"""coursekit.data's fetch layer against real failures: HTTP mirrors that refuse, fail once,
stall or trickle (local http.server threads), local write failures, paths and leftovers."""

from __future__ import annotations

import dataclasses
import errno
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from coursekit import _files as files
from coursekit.data import DataDirectoryError, DataUnavailableError, ensure_dataset, fetch, load_split
from coursekit.data.__main__ import main as data_main
from coursekit.data.resources import DATASETS

TRAIN_IMAGES = "train-images-idx3-ubyte"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        server: Mirror = self.server.mirror  # type: ignore[attr-defined]
        server.requests.append(self.path)
        action = server.action(self.path)
        if action == "stall":  # connected, never answers
            server.release.wait(60)
            return
        if isinstance(action, int):
            self.send_error(action)
            return
        file = server.folder / self.path.lstrip("/")
        if not file.is_file():
            self.send_error(404)
            return
        data = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if action == "cut":  # the connection drops half-way
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
        elif action == "trickle":  # a byte at a time: never silent long enough to time out
            for byte in data:
                if server.release.wait(0.05):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        else:
            self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass  # the test reads .requests instead


class Mirror:
    """A local HTTP server over ``folder``; ``rules[file name]`` lists the answers to its next requests
    (an HTTP status, "stall", "cut" or "trickle"); ``default`` answers the rest ("ok" serves the file)."""

    def __init__(self, folder: Path, default: str = "ok") -> None:
        self.folder, self.default = folder, default
        self.rules: dict[str, list] = {}
        self.requests: list[str] = []
        self.release = threading.Event()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.mirror = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def action(self, path: str):
        queue = self.rules.get(path.rsplit("/", 1)[-1])
        return queue.pop(0) if queue else self.default

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_mirror(tiny):
    servers = []

    def start(default: str = "ok") -> Mirror:
        servers.append(Mirror(tiny.mirror, default))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def quick_network(monkeypatch):
    """Time-outs of a fraction of a second, so that a stalled host costs the test little."""
    monkeypatch.setattr(fetch, "TIMEOUT_S", 0.5)
    monkeypatch.setattr(fetch, "RETRY_AFTER_S", 0.05)


def _fetched_from(out: str) -> dict[str, str]:
    """file name -> the source the verbose output says it came from."""
    pairs = (line.removeprefix("coursekit: ").split(" <- ") for line in out.splitlines() if " <- " in line)
    return dict(pairs)


# --------------------------------------------------- 1: the error's fix 3 ---


def test_published_gz_files_put_into_the_data_directory_are_accepted(tiny, tmp_path):
    """Case 1: fix 3 of the error ("put the .gz files into <folder>") works when followed literally."""
    with pytest.raises(DataUnavailableError) as info:
        ensure_dataset("tiny", tmp_path / "data", verbose=False)
    folder = tmp_path / "data" / "Tiny" / "raw"
    assert f"put them into {folder}" in str(info.value)
    for name in tiny.files:
        shutil.copy(tiny.mirror / "tiny" / f"{name}.gz", folder)
    assert ensure_dataset("tiny", tmp_path / "data", verbose=False) == folder
    for name, content in tiny.files.items():
        assert (folder / name).read_bytes() == content


# ------------------------------------------ 2: local failures said as such ---


def test_a_data_directory_that_is_a_file_is_reported_as_such(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(tiny.mirror))
    root = tmp_path / "data"
    root.write_text("not a folder")
    with pytest.raises(DataDirectoryError) as info:
        ensure_dataset("tiny", root, verbose=False)
    first_line = str(info.value).splitlines()[0]
    assert f"{root} is a file, not a folder" in first_line
    assert "COURSEKIT_DATA" in str(info.value) and "mirror" not in str(info.value).lower()
    assert isinstance(info.value.__cause__, NotADirectoryError)


def test_a_full_disk_is_reported_as_such(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(tiny.mirror))

    real = files.tempfile.NamedTemporaryFile

    def on_a_full_disk(*args, **kwargs):  # the file opens; writing into it fails
        handle = real(*args, **kwargs)

        def full(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), handle.name)

        handle.write = full
        return handle

    monkeypatch.setattr(files.tempfile, "NamedTemporaryFile", on_a_full_disk)
    with pytest.raises(DataDirectoryError) as info:
        ensure_dataset("tiny", tmp_path / "data", verbose=False)
    message = str(info.value)
    assert "the disk is full" in message.splitlines()[0] and "free some space" in message
    assert "mirror" not in message.lower() and info.value.__cause__.errno == errno.ENOSPC
    assert not list((tmp_path / "data" / "Tiny" / "raw").iterdir()), "nothing half-written is left"


def _spec_fields(spec) -> str:
    return json.dumps({
        "name": spec.name, "folder": spec.folder, "sha256": dict(spec.sha256), "splits": dict(spec.splits),
        "system_dirs": [str(d) for d in spec.system_dirs], "upstream": list(spec.upstream),
    })  # fmt: skip


def test_a_read_only_data_directory_is_reported_as_such(tiny, tmp_path):
    """In a child process, so that root (who writes anywhere) can give up that power first."""
    drop = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: a read-only folder cannot be made (root writes anywhere)")
        caps = "-dac_override,-dac_read_search"
        drop = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]
    root = tmp_path / "read-only"
    root.mkdir()
    root.chmod(0o555)
    script = textwrap.dedent(
        """
        import json, sys
        from coursekit.data import DataDirectoryError, DatasetSpec, ensure_dataset
        try:
            ensure_dataset(DatasetSpec(**json.loads(sys.argv[1])), sys.argv[2], verbose=False)
        except DataDirectoryError as error:
            print(error)
            sys.exit(3)
        """
    )
    env = {**os.environ, "COURSEKIT_MIRRORS": str(tiny.mirror)}
    command = [*drop, sys.executable, "-c", script, _spec_fields(tiny.spec), str(root)]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    root.chmod(0o755)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "Permission denied" in run.stdout.splitlines()[0] and "COURSEKIT_DATA" in run.stdout
    assert "mirror" not in run.stdout.lower()


# ---------------------------------------------------------- 3-7: mirrors ---


def test_one_503_or_429_is_retried_and_a_403_fails_only_its_file(tiny, tmp_path, monkeypatch, capsys, http_mirror, quick_network):
    server = http_mirror()
    server.rules = {f"{TRAIN_IMAGES}.gz": [503], "t10k-images-idx3-ubyte.gz": [429]}
    server.rules |= {"t10k-labels-idx1-ubyte.gz": [403], "t10k-labels-idx1-ubyte": [403]}
    monkeypatch.setenv("COURSEKIT_MIRRORS", os.pathsep.join([server.url, str(tiny.mirror)]))
    folder = ensure_dataset("tiny", tmp_path / "data")
    assert all((folder / name).read_bytes() == content for name, content in tiny.files.items())
    sources = _fetched_from(capsys.readouterr().out)
    over_http = f"mirror {server.url}/tiny (sha256 verified)"
    assert sources[TRAIN_IMAGES] == sources["t10k-images-idx3-ubyte"] == sources["train-labels-idx1-ubyte"] == over_http
    assert sources["t10k-labels-idx1-ubyte"] == f"mirror {tiny.mirror / 'tiny'} (sha256 verified)"
    assert server.requests.count(f"/tiny/{TRAIN_IMAGES}.gz") == 2, "a 503 is retried once"


def test_a_host_that_never_answers_costs_two_time_outs_then_is_skipped(tiny, tmp_path, monkeypatch, http_mirror, quick_network):
    server = http_mirror(default="stall")
    monkeypatch.setenv("COURSEKIT_MIRRORS", os.pathsep.join([server.url, str(tiny.mirror)]))
    start = time.monotonic()
    folder = ensure_dataset("tiny", tmp_path / "data", verbose=False)
    assert all((folder / name).read_bytes() == content for name, content in tiny.files.items())
    assert server.requests == [f"/tiny/{TRAIN_IMAGES}.gz"] * 2, "one try and one retry, then the host is skipped"
    assert time.monotonic() - start < 30, "seconds, not minutes (0.5 s time-outs here)"


def test_a_stalled_host_is_named_once_in_the_error(tiny, tmp_path, monkeypatch, http_mirror, quick_network):
    server = http_mirror(default="stall")
    monkeypatch.setenv("COURSEKIT_MIRRORS", server.url)
    with pytest.raises(DataUnavailableError) as info:
        ensure_dataset("tiny", tmp_path / "data", verbose=False)
    message = str(info.value)
    assert message.count("timed out") == 1
    assert message.count(f"{server.url[7:]} unreachable earlier in this call") == 3


def test_a_trickling_host_is_cut_off_at_the_deadline(tiny, tmp_path, monkeypatch, capsys, http_mirror, quick_network):
    server = http_mirror(default="trickle")
    monkeypatch.setattr(fetch, "DEADLINE_S", 1.0)
    monkeypatch.setenv("COURSEKIT_MIRRORS", os.pathsep.join([server.url, str(tiny.mirror)]))
    start = time.monotonic()
    folder = ensure_dataset("tiny", tmp_path / "data")
    assert all((folder / name).read_bytes() == content for name, content in tiny.files.items())
    assert "the deadline of 1 s for fetching passed" in capsys.readouterr().out
    assert len(server.requests) == 1 and time.monotonic() - start < 30


def test_a_connection_cut_half_way_leaves_nothing_and_the_next_source_is_used(tiny, tmp_path, monkeypatch, http_mirror, quick_network):
    server = http_mirror()
    server.rules = {f"{TRAIN_IMAGES}.gz": ["cut"]}
    monkeypatch.setenv("COURSEKIT_MIRRORS", os.pathsep.join([server.url, str(tiny.mirror)]))
    folder = ensure_dataset("tiny", tmp_path / "data", verbose=False)
    assert (folder / TRAIN_IMAGES).read_bytes() == tiny.files[TRAIN_IMAGES]
    assert sorted(p.name for p in folder.iterdir()) == sorted(tiny.files), "no temporary file is left"


def test_a_mirror_url_with_a_port_is_kept_whole(tiny, tmp_path, monkeypatch, http_mirror):
    server = http_mirror()
    monkeypatch.setenv("COURSEKIT_MIRRORS", f"{server.url}:{tmp_path / 'empty'}")
    assert fetch.mirrors() == [server.url, str(tmp_path / "empty")]
    folder = ensure_dataset("tiny", tmp_path / "data", verbose=False)
    assert all((folder / name).read_bytes() == content for name, content in tiny.files.items())
    assert len(server.requests) == 4


@pytest.mark.parametrize(
    "value, entries",
    [
        ("http://127.0.0.1:8765:/some/folder", ["http://127.0.0.1:8765", "/some/folder"]),
        ("/srv/a:https://h/x:file:///tmp/m:", ["/srv/a", "https://h/x", "file:///tmp/m"]),
        ("http://[::1]:80/data:rel/folder", ["http://[::1]:80/data", "rel/folder"]),
        ("http://h/a%3Ab::/b", ["http://h/a%3Ab", "/b"]),
    ],
)
def test_the_mirror_list_syntax(monkeypatch, value, entries):
    if os.pathsep != ":":
        pytest.skip("the syntax of Linux and macOS; on Windows entries are separated by ';' alone")
    monkeypatch.setenv("COURSEKIT_MIRRORS", value)
    assert fetch.mirrors() == entries


def test_a_corrupt_gz_beside_a_good_plain_file_falls_back_to_the_plain_file(tiny, tmp_path, monkeypatch):
    mirror = tiny.write_mirror(tmp_path / "m", corrupt={TRAIN_IMAGES: b"\x1f\x8b not really gzip"})
    (mirror / "tiny" / TRAIN_IMAGES).write_bytes(tiny.files[TRAIN_IMAGES])
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(mirror))
    folder = ensure_dataset("tiny", tmp_path / "data", verbose=False)
    assert (folder / TRAIN_IMAGES).read_bytes() == tiny.files[TRAIN_IMAGES]


def test_the_command_fetches_every_data_set_it_can_and_reports_the_rest(tiny, tmp_path, monkeypatch, capsys):
    lost = dataclasses.replace(tiny.spec, name="lost", folder="Lost")  # not in the mirror
    monkeypatch.setitem(DATASETS, "lost", lost)
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(tiny.mirror))
    assert data_main(["lost", "tiny", "--root", str(tmp_path / "data")]) == 1
    out, err = capsys.readouterr()
    assert "tiny: verified in" in out, "the data set after the failing one is still fetched"
    assert "The lost files" in err and "could not provide lost" in err.splitlines()[-1]


# ------------------------------------------------- 8-9: paths, leftovers ---


def test_a_root_with_a_tilde_is_in_the_home_folder(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(tiny.mirror))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    images, _ = load_split(tiny.spec, "train", root="~/ckdata")
    assert images.shape[0] == 10 and (tmp_path / "home" / "ckdata" / "Tiny" / "raw" / TRAIN_IMAGES).is_file()
    assert data_main(["tiny", "--root", "~/x"]) == 0
    assert f"data directory: {tmp_path / 'home' / 'x'}" in capsys.readouterr().out
    assert list(cwd.iterdir()) == [], "no literal ./~ folder"


@pytest.mark.parametrize("loop", ["self", "pair", "below"])
def test_a_symbolic_link_loop_as_data_directory_is_one_line_not_a_traceback(tmp_path, monkeypatch, capsys, loop):
    (tmp_path / "self").symlink_to("self")
    (tmp_path / "pair").symlink_to("other")
    (tmp_path / "other").symlink_to("pair")
    root = {"self": "self", "pair": "pair", "below": "self/data"}[loop]
    monkeypatch.chdir(tmp_path)
    assert data_main(["tiny", "--root", root]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [err.strip()]
    assert err.startswith(f"python -m coursekit.data: the data directory {tmp_path / root} is a loop of symbolic links")
    assert "COURSEKIT_DATA" in err and "Traceback" not in err
    with pytest.raises(DataDirectoryError, match="loop of symbolic links"):
        fetch.data_dir(tmp_path / root)


def test_an_empty_root_is_one_line_not_a_traceback(capsys):
    assert data_main(["tiny", "--root", ""]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "python -m coursekit.data: --root is empty; give the data directory's path, or leave --root out for the default\n"


def test_part_files_a_killed_fetch_left_are_removed(tiny, tmp_path, monkeypatch):
    folder = tmp_path / "data" / "Tiny" / "raw"
    folder.mkdir(parents=True)
    stale = [folder / f".{TRAIN_IMAGES}.part", folder / f".{TRAIN_IMAGES}.k2j4_x.part"]  # this layout's, and the old one's
    for part in stale:
        part.write_bytes(b"\0" * 1000)
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(tiny.mirror))
    ensure_dataset("tiny", tmp_path / "data", verbose=False)
    assert sorted(p.name for p in folder.iterdir()) == sorted(tiny.files)


def test_kill_9_during_a_download_leaves_nothing_behind(tiny, tmp_path, http_mirror):
    server = http_mirror(default="trickle")
    root = tmp_path / "data"
    script = "import json, sys\nfrom coursekit.data import DatasetSpec, ensure_dataset\n"
    script += "ensure_dataset(DatasetSpec(**json.loads(sys.argv[1])), sys.argv[2])"
    args = [sys.executable, "-c", script, _spec_fields(tiny.spec), str(root)]
    child = subprocess.Popen(args, env={**os.environ, "COURSEKIT_MIRRORS": server.url}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # until the download is under way
            if server.requests:
                break
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert server.requests, "the child never started its download"
    assert list((root / "Tiny" / "raw").iterdir()) == [], "no file of the killed fetch is left"


# ------------------------------------------- verification and the spec ---


def test_outside_the_repository_the_data_directory_is_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSEKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch, "_REPO_ROOT", tmp_path / "site-packages")  # as installed from a wheel
    if sys.platform.startswith("linux"):
        assert fetch.data_dir() == tmp_path / "cache" / "coursekit"
    assert fetch.data_dir().name in ("coursekit", "Cache")


def test_a_data_set_is_hashed_once_per_process(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_MIRRORS", str(tiny.mirror))
    ensure_dataset("tiny", tmp_path / "data", verbose=False)
    fetch._verified.clear()  # as in a new process whose data directory is filled
    hashed = []
    verify = fetch.verify_file
    monkeypatch.setattr(fetch, "verify_file", lambda path, sha: hashed.append(path.name) or verify(path, sha))
    load_split(tiny.spec, "train", root=tmp_path / "data")
    load_split(tiny.spec, "test", root=tmp_path / "data")
    ensure_dataset(tiny.spec, tmp_path / "data")
    assert sorted(hashed) == sorted(tiny.files), "each file once"
    replaced = tmp_path / "data" / "Tiny" / "raw" / TRAIN_IMAGES
    replaced.unlink()
    replaced.write_bytes(tiny.files[TRAIN_IMAGES])  # a new file (new inode): checked again
    ensure_dataset(tiny.spec, tmp_path / "data", verbose=False)
    assert hashed.count(TRAIN_IMAGES) == 2


def test_a_spec_is_hashable_and_read_only(tiny):
    spec = tiny.spec
    assert {spec: 1}[dataclasses.replace(spec)] == 1
    with pytest.raises(TypeError):
        spec.sha256[TRAIN_IMAGES] = "0" * 64  # type: ignore[index]
    fashion = DATASETS["fashion-mnist"]
    assert fashion.system_package == "dataset-fashion-mnist" and fashion.upstream and len(fashion.files) == 4

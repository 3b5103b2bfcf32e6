"""tools/matrix.py's environments: a new definition's build removes the old one's (5-7 GB each)."""

from __future__ import annotations

from pathlib import Path

from tools import matrix


def test_building_an_environment_removes_the_same_environments_earlier_builds(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    commands = []

    def run(command, **kwargs):
        commands.append(command)
        if command[1] == "venv":
            Path(command[-1]).mkdir(parents=True)

    monkeypatch.setattr(matrix, "_run", run)
    monkeypatch.setattr(matrix, "_uv", lambda: "uv")
    monkeypatch.setattr(matrix, "interpreter", lambda version: "python" + version)
    env = matrix.Environment("a test", "3.11", preinstalled=("torch==2.8.0",))
    path = matrix.venv_path("colab", env)
    stale, other = path.parent / "colab-000000000000", path.parent / "oldest-000000000000"
    for folder in (stale, other):
        (folder / "bin").mkdir(parents=True)
        (folder / ".complete").write_text(folder.name)

    python = matrix.build("colab", env, refresh=False)

    assert python == path / "bin" / "python" and (path / ".complete").read_text() == "colab"
    assert not stale.exists()  # the same environment, another definition
    assert (other / ".complete").exists()  # another environment stays
    assert commands[0][:2] == ["uv", "venv"] and commands[1][-1] == "torch==2.8.0"
    # built once, it is reused, and nothing is removed
    commands.clear()
    assert matrix.build("colab", env, refresh=False) == python and commands == [] and path.exists()

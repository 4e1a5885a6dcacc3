"""Shared fixtures: a copy of this repository in a temporary git + DVC repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA_VARIABLE = "ORNAMENTS_REAL_DATA"


def tiny_params(**changes) -> dict:
    """Return params.yaml shrunk to a run of seconds: small demo, 32 px cache, one epoch, no ImageNet weights."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["demo"].update(per_class=8, size=48)
    params["data"]["image_size"] = 32
    params["augment"]["copies"] = 1
    params["train"].update(epochs=1, batch_size=8)
    params["models"] = {
        "resnet18": {"arch": "resnet18", "pretrained": False, "finetune": "full", "last_n": 1},
        "vit_b_16": {"arch": "vit_b_16", "pretrained": False, "finetune": "head", "last_n": 1},
    }
    params["gradcam"]["per_class"] = 1
    params["report"]["bootstrap"] = 200
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if name:
            params[section][name] = value
        else:
            params[section] = value
    return params


class Repo:
    """A temporary copy of the project with its own git history and DVC cache."""

    def __init__(self, path: Path, env: dict[str, str]):
        self.path = path
        self.env = env

    def run(self, *command: str, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess:
        result = subprocess.run(
            command, cwd=self.path, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited with {result.returncode}\nstdout:\n{result.stdout[-4000:]}\n"
                f"stderr:\n{result.stderr[-4000:]}"
            )
        return result

    def dvc(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(sys.executable, "-m", "dvc", *arguments, check=check)

    def write_params(self, params: dict) -> None:
        (self.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "-m", message)


def ran_stages(output: str) -> set[str]:
    """Return the stage names that `dvc repro` or `dvc exp run` ran, from their output."""
    return {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A fresh git repository holding this project's tracked files, with tiny params committed."""
    path = tmp_path / "project"
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if not source.is_file() or name.startswith(("tests/", "dvc.lock")):
            continue
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    for generated in ("metrics", "plots", "reports", "dvclive"):
        shutil.rmtree(path / generated, ignore_errors=True)
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["TORCH_HOME"] = str(tmp_path / "torch-home")
    env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "Test"
    env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "test@example.invalid"
    env.pop(REAL_DATA_VARIABLE, None)
    result = Repo(path, env)
    result.run("git", "init", "-q", "-b", "main")
    result.write_params(tiny_params())
    result.commit("Copy the project")
    return result


@pytest.fixture
def real_data() -> Path:
    """The Kazakh ornament folder named by ORNAMENTS_REAL_DATA; the test is skipped without it."""
    value = os.environ.get(REAL_DATA_VARIABLE)
    if not value:
        pytest.skip(f"{REAL_DATA_VARIABLE} is not set: set it to the Kazakh ornament folder to run this test")
    path = Path(value).resolve()
    if not path.is_dir():
        pytest.fail(f"{REAL_DATA_VARIABLE}={value} is not a folder")
    return path

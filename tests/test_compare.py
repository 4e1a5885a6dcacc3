"""The before/after comparison between two committed runs."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess

import pytest

from conftest import ROOT
from ornaments import compare

CLASSES = ["Flora", "Geo", "Zoo"]
TRUTH = ["Flora"] * 4 + ["Geo"] * 4 + ["Zoo"] * 4


def git(path, *arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=path, check=True, capture_output=True, text=True).stdout.strip()


def write_run(path, predicted: list[str], paths: list[str] | None = None) -> None:
    folder = path / "plots/resnet18"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "test_predictions.csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["path", "actual", "predicted", "confidence"])
        for number, (actual, guess) in enumerate(zip(TRUTH, predicted)):
            name = paths[number] if paths else f"{actual}/{number}.png"
            writer.writerow([name, actual, guess, "0.9000"])
    (path / "metrics").mkdir(exist_ok=True)
    per_class = {label: {"f1": 0.0} for label in CLASSES}
    (path / "metrics/resnet18.json").write_text(json.dumps({"per_class": per_class}), encoding="utf-8")


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """A git repository with a 'before' commit and an 'after' commit of predictions."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.name", "Test")
    git(tmp_path, "config", "user.email", "test@example.invalid")
    # Before: 6 of 12 right. After: the same 6 plus 5 more, and one that was right is now wrong.
    before = TRUTH[:6] + ["Flora"] * 6
    after = TRUTH[:5] + ["Zoo"] + TRUTH[6:]
    write_run(tmp_path, before)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "before")
    write_run(tmp_path, after)
    git(tmp_path, "commit", "-q", "-am", "after")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_compare_counts_and_p_value(runs, capsys):
    assert compare.main(["HEAD~1", "HEAD", "--resamples", "200"]) == 0
    page = capsys.readouterr().out
    assert "6 right only after, 1 right only before" in page
    assert "exact McNemar p = 0.125" in page
    assert "| accuracy | 0.500" in page
    assert "0.917" in page


def test_compare_resolves_experiment_name(runs, capsys):
    git(runs, "update-ref", "refs/exps/ab/cdef/lower-lr", "HEAD")
    assert compare.resolve("lower-lr") == git(runs, "rev-parse", "HEAD")
    assert compare.main(["HEAD~1", "lower-lr", "--resamples", "200"]) == 0
    assert "McNemar" in capsys.readouterr().out


def test_compare_workspace(runs, capsys):
    write_run(runs, TRUTH)
    assert compare.main(["HEAD", "workspace", "--resamples", "200"]) == 0
    assert "1 right only after, 0 right only before" in capsys.readouterr().out


def test_compare_rejects_other_test_images(runs, capsys):
    write_run(runs, TRUTH, paths=[f"other/{number}.png" for number in range(12)])
    assert compare.main(["HEAD", "workspace"]) == 1
    assert "different test images" in capsys.readouterr().err


def test_compare_unknown_revision(runs, capsys):
    assert compare.main(["no-such-run", "HEAD"]) == 1
    assert "no-such-run" in capsys.readouterr().err

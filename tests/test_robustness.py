"""A hostile folder through `dvc repro`, byte-identical reruns, and a killed stage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import ran_stages, tiny_params
from hostile import make_hostile_folder
from test_intake import EXPECTED_REPORT

pytestmark = pytest.mark.slow

DETERMINISTIC_FILES = [
    "metrics/data.json",
    "metrics/baseline.json",
    "metrics/resnet18.json",
    "metrics/vit_b_16.json",
    "metrics/gradcam/resnet18.json",
    "metrics/gradcam/vit_b_16.json",
    "plots/baseline/test_predictions.csv",
    "plots/resnet18/test_predictions.csv",
    "plots/vit_b_16/test_predictions.csv",
    "dvclive/train/resnet18/metrics.json",
    "dvclive/train/vit_b_16/metrics.json",
    "reports/report.md",
]


def test_hostile_folder_through_repro(repo, tmp_path):
    hostile = make_hostile_folder(tmp_path / "hostile")
    repo.write_params(tiny_params(data__dir=str(hostile.root), data__max_pixels=hostile.max_pixels))
    repo.dvc("repro")

    report = json.loads((repo.path / "metrics/data.json").read_text(encoding="utf-8"))
    totals = {label: counts["total"] for label, counts in report["classes"].items()}
    assert totals == EXPECTED_REPORT["classes"]
    for key, value in EXPECTED_REPORT.items():
        if key != "classes":
            assert report[key] == value, f"metrics/data.json[{key!r}]"
    assert sum(report["splits"].values()) == EXPECTED_REPORT["images"]
    page = (repo.path / "reports/report.md").read_text(encoding="utf-8")
    for label in EXPECTED_REPORT["classes"]:
        assert label in page


def test_forced_reruns_are_identical(repo):
    repo.dvc("repro")
    first = {name: (repo.path / name).read_bytes() for name in DETERMINISTIC_FILES}
    weights = torch.load(repo.path / "models/resnet18/model.pt", weights_only=True)["state_dict"]

    repo.dvc("repro", "--force")
    for name in DETERMINISTIC_FILES:
        assert (repo.path / name).read_bytes() == first[name], f"{name} changed between forced runs"
    again = torch.load(repo.path / "models/resnet18/model.pt", weights_only=True)["state_dict"]
    for key, tensor in weights.items():
        assert torch.equal(tensor, again[key]), f"weight {key} changed between forced runs"


def test_killed_stage_leaves_no_partial_output(repo):
    repo.write_params(tiny_params(train__epochs=30))
    repo.dvc("repro", "augment", "baseline")
    process = subprocess.Popen(
        [sys.executable, "-m", "dvc", "repro", "train@resnet18"],
        cwd=repo.path, env=repo.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("epoch 2/"):
            os.killpg(process.pid, signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "training did not reach epoch 2 in time:\n" + "".join(seen)
    process.wait()
    assert process.returncode != 0, "the run finished before it was killed:\n" + "".join(seen)

    model = repo.path / "models/resnet18"
    leftovers = sorted(path.name for path in model.iterdir()) if model.exists() else []
    assert leftovers == [], f"a killed stage left {leftovers}"
    assert "train@resnet18" in repo.dvc("status").stdout

    repo.write_params(tiny_params())
    finished = repo.dvc("repro")
    assert "train@resnet18" in ran_stages(finished.stdout)
    assert (model / "model.pt").is_file()
    assert "changed" not in repo.dvc("status").stdout

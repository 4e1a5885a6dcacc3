"""End-to-end: real `dvc repro` and `dvc exp run` in a temporary git repository."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from conftest import ran_stages, tiny_params

pytestmark = pytest.mark.slow

MODELS = ("resnet18", "vit_b_16")
DEMO_CLASSES = ("Flora", "Geo", "Zoo")
ALL_STAGES = {
    "demo", "prepare", "augment", "baseline", "report",
    *(f"{stage}@{model}" for stage in ("train", "evaluate", "gradcam", "crossval") for model in MODELS),
}


def declared_outputs(repo) -> list[str]:
    """Return every output path that `dvc.yaml` declares, with foreach expanded."""
    lock = yaml.safe_load((repo.path / "dvc.lock").read_text())
    return sorted({out["path"] for stage in lock["stages"].values() for out in stage.get("outs", [])})


def test_repro_writes_outputs_then_reruns_downstream(repo):
    first = repo.dvc("repro")
    assert ran_stages(first.stdout) == ALL_STAGES

    outputs = declared_outputs(repo)
    for path in outputs:
        assert (repo.path / path).exists(), f"declared output {path} is missing"
    for name in ("baseline", *MODELS):
        assert (repo.path / f"plots/{name}/confusion.png").stat().st_size > 0
    for model in MODELS:
        for label in DEMO_CLASSES:
            assert (repo.path / f"plots/{model}/gradcam/{label}.png").is_file()
        assert (repo.path / f"models/{model}/model.pt").is_file()

    keys = None
    for name in ("baseline", *MODELS):
        scores = json.loads((repo.path / f"metrics/{name}.json").read_text())
        flat = {key for key in scores if key != "per_class"} | {
            f"{label}.{metric}" for label, values in scores["per_class"].items() for metric in values
        }
        keys = keys or flat
        assert flat == keys, f"metrics/{name}.json has different keys"
        assert set(scores["per_class"]) == set(DEMO_CLASSES)
    report = (repo.path / "reports/report.md").read_text()
    assert "| baseline |" in report
    for model in MODELS:
        assert f"| {model} |" in report

    assert "changed" not in repo.dvc("status").stdout
    repo.commit("Run the pipeline")

    experiment = repo.dvc("exp", "run", "-S", "train.lr=1e-4")
    assert ran_stages(experiment.stdout) == {
        *(f"{stage}@{model}" for stage in ("train", "evaluate", "gradcam", "crossval") for model in MODELS),
        "report",
    }
    params_diff = json.loads(repo.dvc("params", "diff", "--json").stdout)
    lr_change = params_diff["params.yaml"]["train.lr"]
    assert lr_change["old"] == 0.001
    assert lr_change["new"] == 0.0001
    assert isinstance(lr_change["new"], float)
    metrics_diff = json.loads(repo.dvc("metrics", "diff", "--json").stdout)
    assert "dvclive/train/resnet18/metrics.json" in metrics_diff
    experiments = json.loads(repo.dvc("exp", "show", "--json").stdout)
    assert "metrics/resnet18.json" in json.dumps(experiments)


def test_gradcam_param_reruns_no_training(repo):
    repo.dvc("repro")
    repo.commit("Run the pipeline")
    params = tiny_params(gradcam__per_class=2)
    repo.write_params(params)
    ran = ran_stages(repo.dvc("repro").stdout)
    assert {"gradcam@resnet18", "gradcam@vit_b_16"} <= ran
    # The report reruns only if a gallery changed: with one test image per class it stays the same.
    assert ran <= {"gradcam@resnet18", "gradcam@vit_b_16", "report"}


def test_confusion_plot_renders_class_names(repo):
    repo.dvc("repro", "evaluate@resnet18", "baseline")
    plot_json = repo.dvc("plots", "show", "--json", "plots/resnet18/test_predictions.csv")
    data = json.dumps(json.loads(plot_json.stdout))
    for label in DEMO_CLASSES:
        assert label in data


def test_unknown_param_key_fails_naming_it(repo):
    result = repo.dvc("exp", "run", "-S", "train.lrr=0.1", check=False)
    assert result.returncode != 0
    assert "train.lrr" in result.stdout + result.stderr


def test_wrong_param_type_fails_naming_it(repo):
    result = repo.dvc("exp", "run", "-S", "train.epochs=ten", check=False)
    assert result.returncode != 0
    assert "train.epochs" in result.stdout + result.stderr


def test_queued_sweep_runs_in_parallel(repo):
    repo.dvc("repro")
    repo.commit("Run the pipeline")
    queued = repo.dvc("exp", "run", "--queue", "-S", "train.lr=1e-3,1e-4")
    assert queued.stdout.count("Queued experiment") == 2
    repo.dvc("queue", "start", "-j", "2")

    deadline = time.monotonic() + 900
    while True:
        status = repo.dvc("queue", "status").stdout
        if "Queued" not in status and "Running" not in status:
            break
        assert time.monotonic() < deadline, f"the queue did not finish:\n{status}"
        time.sleep(5)
    assert status.count("Success") == 2, status

    experiments = json.loads(repo.dvc("exp", "show", "--json").stdout)
    rates = set()
    for commit in experiments:
        for experiment in commit.get("experiments") or []:
            for revision in experiment["revs"]:
                rates.add(revision["data"]["params"]["params.yaml"]["data"]["train"]["lr"])
    assert rates == {0.001, 0.0001}

"""Compare two runs of the pipeline on the same test images.

    python -m ornaments.compare BEFORE AFTER [--model NAME ...] [--out FILE]

BEFORE and AFTER are git revisions (a branch, a commit, HEAD), DVC
experiment names as `dvc exp show` lists them, or `workspace` for the files
on disk. Each needs the committed test predictions (plots/MODEL/test_predictions.csv)
and scores (metrics/MODEL.json) of its run. By default every predictor with
predictions in both runs is compared, the baseline included. The output is a
markdown table per predictor: accuracy, macro-F1 and per-class F1 before and
after, bootstrap 95% intervals, and the exact McNemar test on the test images
that only one of the two runs classifies correctly.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
from pathlib import Path, PurePosixPath

import numpy as np

from . import metrics, params, store

WORKSPACE = "workspace"


class CompareError(ValueError):
    """A revision or file needed for the comparison is missing."""


def resolve(revision: str) -> str:
    """Return a commit for a git revision or a DVC experiment name; `workspace` stays as it is."""
    if revision == WORKSPACE:
        return revision
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], capture_output=True, text=True)
    if found.returncode == 0:
        return found.stdout.strip()
    refs = subprocess.run(["git", "for-each-ref", "--format=%(refname) %(objectname)", "refs/exps"], capture_output=True, text=True)
    matches = [line.split()[1] for line in refs.stdout.splitlines() if line.split()[0].rsplit("/", 1)[-1] == revision]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise CompareError(f"experiment name {revision!r} is ambiguous; use its commit from `dvc exp show --sha`")
    raise CompareError(f"{revision!r} is neither a git revision nor a DVC experiment name (see `dvc exp show`)")


def read_file(revision: str, path: str) -> str:
    """Return the text of `path` at a resolved revision."""
    if revision == WORKSPACE:
        file = Path(path)
        if not file.is_file():
            raise CompareError(f"{path} not found in the workspace; run `dvc repro` first")
        return file.read_text(encoding="utf-8")
    git_show = subprocess.run(["git", "show", f"{revision}:{path}"], capture_output=True)
    if git_show.returncode != 0:
        raise CompareError(f"{path} is not committed at {revision[:12]}; commit the run's outputs (dvc exp run does)")
    return git_show.stdout.decode("utf-8")


def predictors(revision: str) -> set[str]:
    """Return the names with a plots/NAME/test_predictions.csv at a resolved revision."""
    if revision == WORKSPACE:
        files = [path.as_posix() for path in Path("plots").glob("*/test_predictions.csv")]
    else:
        listed = subprocess.run(["git", "ls-tree", "-r", "--name-only", revision, "plots"], capture_output=True, text=True)
        files = listed.stdout.splitlines()
    return {PurePosixPath(path).parent.name for path in files if PurePosixPath(path).name == "test_predictions.csv"}


def _predictions(revision: str, model: str) -> tuple[list[str], list[str], list[str]]:
    rows = list(csv.DictReader(io.StringIO(read_file(revision, f"plots/{model}/test_predictions.csv"))))
    return [row["path"] for row in rows], [row["actual"] for row in rows], [row["predicted"] for row in rows]


def _interval(values: tuple[float, float]) -> str:
    return f"[{values[0]:.2f}, {values[1]:.2f}]"


def compare_model(before: str, after: str, model: str, resamples: int, seed: int) -> tuple[list[str], dict]:
    """Return markdown lines and the numbers for one model."""
    paths_before, truth_before, predicted_before = _predictions(before, model)
    paths_after, truth_after, predicted_after = _predictions(after, model)
    if paths_before != paths_after or truth_before != truth_after:
        raise CompareError(
            f"{model}: the two runs used different test images; a paired comparison needs the same split "
            "(same data.dir, split params and seed)"
        )
    classes = list(json.loads(read_file(after, f"metrics/{model}.json"))["per_class"])
    index = {label: number for number, label in enumerate(classes)}
    unknown = sorted(set(truth_after + predicted_before + predicted_after) - set(index))
    if unknown:
        raise CompareError(f"{model}: predictions name class {unknown[0]!r}, which metrics/{model}.json does not list")
    truth = np.array([index[label] for label in truth_after])
    first = np.array([index[label] for label in predicted_before])
    second = np.array([index[label] for label in predicted_after])

    score_before = metrics.score(truth, first, classes)
    score_after = metrics.score(truth, second, classes)
    ci_before = metrics.bootstrap_ci(truth, first, len(classes), resamples, seed)
    ci_after = metrics.bootstrap_ci(truth, second, len(classes), resamples, seed)
    paired = metrics.paired_difference(truth, first, second, len(classes), resamples, seed)

    lines = [
        f"### {model} ({len(truth)} test images; one image is {1 / max(len(truth), 1):.3f} of accuracy)",
        "",
        "| metric | before | after | change [95% CI] |",
        "|---|---|---|---|",
    ]
    for name in ("accuracy", "macro_f1"):
        change = paired[f"{name}_change"]
        lines.append(
            f"| {name.replace('_', '-')} | {score_before[name]:.3f} {_interval(ci_before[name])} | "
            f"{score_after[name]:.3f} {_interval(ci_after[name])} | "
            f"{change['value']:+.3f} [{change['ci_low']:+.2f}, {change['ci_high']:+.2f}] |"
        )
    for label in classes:
        old = score_before["per_class"][label]["f1"]
        new = score_after["per_class"][label]["f1"]
        lines.append(f"| F1 {label} | {old:.3f} | {new:.3f} | {new - old:+.3f} |")
    verdict = "significant" if paired["mcnemar_p"] < 0.05 else "not significant"
    lines += [
        "",
        f"Paired test on the same images: {paired['only_after_correct']} right only after, "
        f"{paired['only_before_correct']} right only before; exact McNemar p = {paired['mcnemar_p']:.3g}, "
        f"so the change in accuracy is {verdict} at the 5% level.",
        "",
    ]
    return lines, {"before": score_before, "after": score_after, "paired": paired}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", help="git revision, DVC experiment name, or 'workspace'")
    parser.add_argument("after", help="git revision, DVC experiment name, or 'workspace'")
    parser.add_argument(
        "--model", action="append", help="predictor name, repeatable (default: all with predictions in both runs)"
    )
    parser.add_argument("--resamples", type=int, help="bootstrap resamples (default: report.bootstrap in params.yaml)")
    parser.add_argument("--out", help="also write the markdown to this file, and the numbers beside it as JSON")
    arguments = parser.parse_args(argv)

    try:
        config = params.load()
        resamples = arguments.resamples or config["report"]["bootstrap"]
        before, after = resolve(arguments.before), resolve(arguments.after)
        models = arguments.model or sorted(predictors(before) & predictors(after))
        if not models:
            raise CompareError("no plots/*/test_predictions.csv in both runs; run and commit the pipeline first")
        page = [f"## Before ({arguments.before}) and after ({arguments.after})", ""]
        numbers = {}
        for model in models:
            lines, numbers[model] = compare_model(before, after, model, resamples, config["seed"])
            page += lines
    except (CompareError, params.ParamsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    text = "\n".join(page)
    print(text)
    if arguments.out:
        store.write_text(arguments.out, text)
        store.write_json(Path(arguments.out).with_suffix(".json"), numbers)
    return 0


if __name__ == "__main__":
    sys.exit(main())

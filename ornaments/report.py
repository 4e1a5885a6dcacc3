"""The markdown report: one comparison table, confusion matrices, Grad-CAM galleries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import evaluation, metrics, store


def _read(path: Path) -> Any | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _ci(interval: tuple[float, float]) -> str:
    return f"[{interval[0]:.2f}, {interval[1]:.2f}]"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _data_section(data: dict, classes: list[str]) -> list[str]:
    """Return markdown lines: images per class and split, and what the intake skipped."""
    lines = [f"## Data: {data.get('images', '?')} images in {len(classes)} classes", ""]
    lines += ["| class | train | val | test | total |", "|---|---|---|---|---|"]
    for label in classes:
        counts = data.get("classes", {}).get(label, {})
        lines.append(
            f"| {_cell(label)} | {counts.get('train', '?')} | {counts.get('val', '?')} | "
            f"{counts.get('test', '?')} | {counts.get('total', '?')} |"
        )
    skipped = data.get("skipped", {})
    if skipped:
        reasons = ", ".join(f"{reason}: {count}" for reason, count in skipped.items())
        lines += ["", f"Skipped files ({data.get('skipped_total', 0)}): {reasons}; see data/prepared/intake.json."]
    else:
        lines += ["", "No file was skipped."]
    duplicates = data.get("duplicate_groups", 0)
    if duplicates:
        lines.append(f"{duplicates} group(s) of identical images, each kept within one split.")
    return lines + [""]


def comparison_table(root: Path, names: list[str], classes: list[str], resamples: int, seed: int) -> list[str]:
    """Return markdown rows: baseline and each model, with bootstrap 95% intervals."""
    header = ["predictor", "accuracy [95% CI]", "balanced accuracy", "macro-F1 [95% CI]"]
    header += [f"F1 {_cell(label)}" for label in classes]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        result = _read(root / evaluation.metrics_path(name))
        if result is None:
            lines.append(f"| {name} | not run |" + " |" * (len(header) - 2))
            continue
        _, truth, predicted = evaluation.read_predictions(name, classes, root)
        intervals = metrics.bootstrap_ci(truth, predicted, len(classes), resamples, seed)
        cells = [
            name,
            f"{result['accuracy']:.3f} {_ci(intervals['accuracy'])}",
            f"{result['balanced_accuracy']:.3f}",
            f"{result['macro_f1']:.3f} {_ci(intervals['macro_f1'])}",
        ]
        cells += [f"{result['per_class'][label]['f1']:.3f}" for label in classes]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def build(root: Path, models: dict[str, dict], resamples: int, seed: int) -> str:
    """Return the report page for the outputs under `root` (the repository root)."""
    root = Path(root)
    model_names = list(models)
    classes = store.read_json(root / "data/prepared/classes.json")
    data = _read(root / "metrics/data.json") or {}
    names = ["baseline", *model_names]
    out = ["# Ornament classification report", ""]
    out += _data_section(data, classes)
    out += [
        "## Test-split scores",
        "",
        f"95% intervals are percentile bootstrap over the test images ({resamples} resamples). "
        f"With n test images one image moves accuracy by 1/n.",
        "",
    ]
    out += comparison_table(root, names, classes, resamples, seed)

    out += ["", "## Each model against the baseline (same test images)", ""]
    out += ["| model | right only by model | right only by baseline | McNemar p |", "|---|---|---|---|"]
    _, truth, baseline_predicted = evaluation.read_predictions("baseline", classes, root)
    for name in model_names:
        if not (root / evaluation.predictions_path(name)).is_file():
            continue
        _, _, predicted = evaluation.read_predictions(name, classes, root)
        paired = metrics.paired_difference(truth, baseline_predicted, predicted, len(classes), resamples, seed)
        out.append(f"| {name} | {paired['only_after_correct']} | {paired['only_before_correct']} | {paired['mcnemar_p']:.3g} |")

    out += ["", "## Training", "", "| model | arch | ImageNet weights | trained | best epoch | validation accuracy |",
            "|---|---|---|---|---|---|"]
    for name, model in models.items():
        live = _read(root / "dvclive/train" / name / "metrics.json") or {}
        if model["finetune"] == "last_n":
            trained = "last block" if model["last_n"] == 1 else f"last {model['last_n']} blocks"
        else:
            trained = "head only" if model["finetune"] == "head" else "whole network"
        out.append(
            f"| {name} | {model['arch']} | {'yes' if model['pretrained'] else 'no'} | {trained} | "
            f"{live.get('best_epoch', '?')} | {live.get('best_val_acc', float('nan')):.3f} |"
        )

    out += ["", "## Grad-CAM sanity score", "",
            "Share of heatmap mass on the motif (the image's opaque pixels) against the motif's share of the "
            "image: a heatmap that ignores the motif scores about the area share, a lift near 1. Heatmaps that "
            "are zero everywhere carry no mass and are left out of both means, so each row averages over the "
            "images it scored.", "",
            "| model | layer | images scored | zero heatmaps | mass inside motif | motif area share | lift |",
            "|---|---|---|---|---|---|---|"]
    for name in model_names:
        score = _read(root / "metrics/gradcam" / f"{name}.json")
        if not score or score.get("mass_inside_motif") is None:
            continue
        out.append(
            f"| {name} | `{score['layer']}` | {score['images_scored']} | {score['images_with_zero_heatmap']} | "
            f"{score['mass_inside_motif']:.3f} | {score['motif_area_share']:.3f} | "
            f"{score.get('lift_over_uniform', float('nan')):.2f} |"
        )

    crossval = [(name, _read(root / "metrics/crossval" / f"{name}.json")) for name in model_names]
    crossval = [(name, result) for name, result in crossval if result and result.get("folds")]
    if crossval:
        out += ["", "## Repeated stratified k-fold", "", "| model | folds x repeats | accuracy mean ± sd | macro-F1 mean ± sd |", "|---|---|---|---|"]
        for name, result in crossval:
            out.append(
                f"| {name} | {result['folds']} x {result['repeats']} | "
                f"{result['accuracy']['mean']:.3f} ± {result['accuracy']['std']:.3f} | "
                f"{result['macro_f1']['mean']:.3f} ± {result['macro_f1']['std']:.3f} |"
            )

    out += ["", "## Confusion matrices", ""]
    for name in names:
        out.append(f"![{name} confusion matrix](../plots/{name}/confusion.png)")
    out += ["", "## Grad-CAM galleries", ""]
    for name in model_names:
        for label in classes:
            gallery = Path("plots") / name / "gradcam" / f"{label}.png"
            if (root / gallery).is_file():
                out.append(f"### {name}, {label}\n\n![{name} {label}](../{gallery.as_posix()})\n")
    return "\n".join(out) + "\n"

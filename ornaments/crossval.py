"""Repeated stratified k-fold over all prepared images, for data sets too small for one test split."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import augment, metrics, models, split, train
from .errors import ConfigError
from .progress import log
from .store import Prepared


def _summary(values: list[float]) -> dict[str, float]:
    return {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0}


def run(config: dict[str, Any], name: str, prepared: Prepared) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Train and score model `name` on every fold; return the summary and one row per fold.

    Each fold trains on the other folds plus their augmented copies for
    train.epochs and keeps the last epoch: there is no validation split to
    choose an epoch by. Duplicate groups never cross folds.
    """
    folds, repeats = config["crossval"]["folds"], config["crossval"]["repeats"]
    if folds < 2:
        raise ConfigError(f"crossval.folds must be 0 (off) or at least 2, got {folds}")
    labels = prepared.labels
    names = [row["label"] for row in prepared.rows]
    groups = [int(row["group"]) for row in prepared.rows]
    device = train.resolve_device(config["train"]["device"])
    rows = []
    for repeat, fold, train_index, test_index in split.kfold(names, groups, folds, repeats, config["seed"]):
        log(f"crossval {name}: repeat {repeat + 1}/{repeats}, fold {fold + 1}/{folds}")
        fold_seed = augment.sample_seed(config["seed"], 3, repeat, fold)
        train.seed_everything(fold_seed)
        pixels, masks, sources, _ = augment.expand(
            prepared.pixels[train_index], prepared.masks[train_index], [names[index] for index in train_index],
            config["augment"], config["data"]["background"], fold_seed,
        )
        net = models.build_from_params(config, name, len(prepared.classes))
        no_images = np.zeros((0,) + prepared.pixels.shape[1:], dtype=np.uint8)
        train.fit(net, pixels, masks, labels[train_index][sources], no_images, np.zeros(0, dtype=np.int64), config)
        predicted = train.predict(net, prepared.pixels[test_index], config["train"]["batch_size"], device).argmax(1)
        score = metrics.score(labels[test_index], predicted, prepared.classes)
        rows.append({"run": len(rows), "repeat": repeat, "fold": fold, **score})

    summary = {
        "folds": folds,
        "repeats": repeats,
        "accuracy": _summary([row["accuracy"] for row in rows]),
        "balanced_accuracy": _summary([row["balanced_accuracy"] for row in rows]),
        "macro_f1": _summary([row["macro_f1"] for row in rows]),
        "per_class_f1": {
            label: _summary([row["per_class"][label]["f1"] for row in rows]) for label in prepared.classes
        },
    }
    per_fold = [
        {key: row[key] for key in ("run", "repeat", "fold", "accuracy", "balanced_accuracy", "macro_f1")}
        for row in rows
    ]
    return summary, per_fold

"""Repeated stratified k-fold for one model over all prepared images.

Usage: python stages/crossval.py MODEL. With crossval.folds 0 it writes only
{"folds": 0}. Otherwise every fold trains on the other folds (plus their
augmented copies) for train.epochs, keeps the last epoch, and scores the held
out fold; metrics/crossval/MODEL.json gets the mean and standard deviation.
"""

import sys
from pathlib import Path

import numpy as np

from ornaments import augment, metrics, models, params, split, stage, store, train

PREPARED = "data/prepared"


def main() -> None:
    name = sys.argv[1]
    config = params.load()
    folds, repeats = config["crossval"]["folds"], config["crossval"]["repeats"]
    output = Path("metrics/crossval") / f"{name}.json"
    per_fold = Path("plots") / name / "crossval_folds.json"
    if folds == 0:
        store.write_json(output, {"folds": 0, "repeats": repeats})
        store.write_json(per_fold, [])
        print("crossval.folds is 0: k-fold mode is off", file=sys.stderr)
        return
    if folds < 2:
        raise ValueError(f"crossval.folds must be 0 (off) or at least 2, got {folds}")
    model = config["models"][name]
    prepared = store.load_prepared(PREPARED, mmap=False)
    labels = prepared.labels
    label_names = [row["label"] for row in prepared.rows]
    groups = [int(row["group"]) for row in prepared.rows]
    scores = []
    for repeat, fold, train_index, test_index in split.kfold(label_names, groups, folds, repeats, config["seed"]):
        print(f"crossval {name}: repeat {repeat + 1}/{repeats}, fold {fold + 1}/{folds}", file=sys.stderr)
        train.seed_everything(config["seed"] + 1000 * repeat + fold)
        pixels, masks, sources, _ = augment.expand(
            prepared.pixels[train_index], prepared.masks[train_index], [label_names[i] for i in train_index],
            config["augment"], config["data"]["background"], config["seed"] + 1000 * repeat + fold,
        )
        net = models.build(model["arch"], len(prepared.classes), model["pretrained"], model["finetune"], model["last_n"], name)
        empty = np.zeros((0,) + prepared.pixels.shape[1:], dtype=np.uint8)
        train.fit(net, pixels, masks, labels[train_index][sources], empty, np.zeros(0, dtype=np.int64), config)
        device = train.resolve_device(config["train"]["device"])
        predicted = train.predict(net, prepared.pixels[test_index], config["train"]["batch_size"], device).argmax(1)
        result = metrics.score(labels[test_index], predicted, prepared.classes)
        scores.append({"repeat": repeat, "fold": fold, **result})

    def summary(values: list[float]) -> dict:
        return {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0}

    result = {
        "folds": folds,
        "repeats": repeats,
        "accuracy": summary([score["accuracy"] for score in scores]),
        "balanced_accuracy": summary([score["balanced_accuracy"] for score in scores]),
        "macro_f1": summary([score["macro_f1"] for score in scores]),
        "per_class_f1": {
            label: summary([score["per_class"][label]["f1"] for score in scores]) for label in prepared.classes
        },
    }
    store.write_json(output, result)
    store.write_json(per_fold, [
        {"run": number, "repeat": score["repeat"], "fold": score["fold"], "accuracy": score["accuracy"], "macro_f1": score["macro_f1"]}
        for number, score in enumerate(scores)
    ])
    print(
        f"crossval {name}: accuracy {result['accuracy']['mean']:.3f} ± {result['accuracy']['std']:.3f}, "
        f"macro-F1 {result['macro_f1']['mean']:.3f} ± {result['macro_f1']['std']:.3f}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    stage.run(f"crossval {sys.argv[1] if len(sys.argv) > 1 else ''}".strip(), main)

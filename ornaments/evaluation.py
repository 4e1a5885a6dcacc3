"""Write one predictor's test results in the layout every stage after it reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .progress import log
from . import metrics, plots, store
from .errors import ConfigError

PREDICTION_FIELDS = ("path", "actual", "predicted", "confidence")


def metrics_path(name: str) -> Path:
    return Path("metrics") / f"{name}.json"


def predictions_path(name: str) -> Path:
    return Path("plots") / name / "test_predictions.csv"


def write_results(name: str, prepared: store.Prepared, test: np.ndarray, probabilities: np.ndarray, title: str) -> dict:
    """Score test predictions; write metrics/NAME.json, the predictions CSV and the confusion PNG."""
    truth = prepared.labels[test]
    predicted = probabilities.argmax(axis=1) if len(test) else np.zeros(0, dtype=np.int64)
    result = metrics.score(truth, predicted, prepared.classes)
    store.write_json(metrics_path(name), result)
    rows = [
        {
            "path": prepared.rows[index]["path"],
            "actual": prepared.classes[truth[number]],
            "predicted": prepared.classes[predicted[number]],
            "confidence": f"{probabilities[number, predicted[number]]:.4f}",
        }
        for number, index in enumerate(test)
    ]
    store.write_csv(predictions_path(name), rows, PREDICTION_FIELDS)
    matrix = metrics.confusion(truth, predicted, len(prepared.classes))
    plots.confusion_png(matrix, prepared.classes, Path("plots") / name / "confusion.png", f"{title}: test split")
    per_class = ", ".join(f"{label} {values['f1']:.2f}" for label, values in result["per_class"].items())
    log(
        f"{name}: accuracy {result['accuracy']:.3f}, balanced accuracy {result['balanced_accuracy']:.3f}, "
        f"macro-F1 {result['macro_f1']:.3f} on {len(test)} test images; F1 per class: {per_class}",
    )
    return result


def read_predictions(name: str, classes: list[str], folder: str | Path = ".") -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return image paths, true and predicted class indices from a predictions CSV."""
    path = Path(folder) / predictions_path(name)
    rows = store.read_csv(path)
    index = {label: number for number, label in enumerate(classes)}
    unknown = sorted({row[key] for row in rows for key in ("actual", "predicted")} - set(index))
    if unknown:
        raise ConfigError(
            f"{path} names class {unknown[0]!r}, which the prepared data does not have ({', '.join(classes)}); "
            f"rerun `dvc repro` so that every stage sees the same data"
        )
    paths = [row["path"] for row in rows]
    truth = np.array([index[row["actual"]] for row in rows], dtype=np.int64)
    predicted = np.array([index[row["predicted"]] for row in rows], dtype=np.int64)
    return paths, truth, predicted

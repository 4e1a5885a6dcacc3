"""Scores, confusion matrices and the statistics of a before/after comparison.

Every predictor, the majority baseline included, is scored by `score`, so the
metric files have the same keys whatever the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)


def score(y_true: Sequence[int], y_pred: Sequence[int], classes: Sequence[str]) -> dict[str, Any]:
    """Return accuracy, balanced accuracy, macro-F1 and per-class precision, recall, F1 and support."""
    labels = list(range(len(classes)))
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "test_images": int(len(y_true)),
        "per_class": {
            name: {
                "precision": float(precision[index]),
                "recall": float(recall[index]),
                "f1": float(f1[index]),
                "support": int(support[index]),
            }
            for index, name in enumerate(classes)
        },
    }


def confusion(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int) -> np.ndarray:
    """Return the num_classes x num_classes confusion matrix; rows are true classes."""
    return confusion_matrix(y_true, y_pred, labels=list(range(num_classes)))


def _macro_f1(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> float:
    return float(f1_score(y_true, y_pred, labels=list(range(num_classes)), average="macro", zero_division=0))


def bootstrap_ci(
    y_true: Sequence[int], y_pred: Sequence[int], num_classes: int, resamples: int, seed: int
) -> dict[str, tuple[float, float]]:
    """Return percentile bootstrap 95% intervals of accuracy and macro-F1 over the test images."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if len(y_true) < 2:
        return {"accuracy": (float("nan"), float("nan")), "macro_f1": (float("nan"), float("nan"))}
    intervals = {}
    statistics = {
        "accuracy": lambda truth, guess: float(np.mean(truth == guess)),
        "macro_f1": lambda truth, guess: _macro_f1(truth, guess, num_classes),
    }
    for name, statistic in statistics.items():
        result = stats.bootstrap(
            (y_true, y_pred),
            statistic,
            paired=True,
            vectorized=False,
            n_resamples=resamples,
            confidence_level=0.95,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
        intervals[name] = (float(result.confidence_interval.low), float(result.confidence_interval.high))
    return intervals


def paired_difference(
    y_true: Sequence[int],
    before: Sequence[int],
    after: Sequence[int],
    num_classes: int,
    resamples: int,
    seed: int,
) -> dict[str, Any]:
    """Compare two predictors on the same test images.

    Returns the exact McNemar test on the images that one predictor gets right
    and the other wrong, and paired bootstrap 95% intervals of the change in
    accuracy and macro-F1 (after minus before).
    """
    y_true = np.asarray(y_true)
    before = np.asarray(before)
    after = np.asarray(after)
    if not (len(y_true) == len(before) == len(after)):
        raise ValueError("before and after must be predictions on the same test images")
    only_before = int(np.sum((before == y_true) & (after != y_true)))
    only_after = int(np.sum((before != y_true) & (after == y_true)))
    discordant = only_before + only_after
    p_value = float(stats.binomtest(min(only_before, only_after), discordant, 0.5).pvalue) if discordant else 1.0
    result: dict[str, Any] = {
        "only_before_correct": only_before,
        "only_after_correct": only_after,
        "mcnemar_p": p_value,
    }
    statistics = {
        "accuracy": lambda truth, first, second: float(np.mean(second == truth) - np.mean(first == truth)),
        "macro_f1": lambda truth, first, second: _macro_f1(truth, second, num_classes) - _macro_f1(truth, first, num_classes),
    }
    for name, statistic in statistics.items():
        delta = statistic(y_true, before, after)
        if len(y_true) >= 2:
            interval = stats.bootstrap(
                (y_true, before, after),
                statistic,
                paired=True,
                vectorized=False,
                n_resamples=resamples,
                confidence_level=0.95,
                method="percentile",
                rng=np.random.default_rng(seed),
            ).confidence_interval
            low, high = float(interval.low), float(interval.high)
        else:
            low = high = float("nan")
        result[f"{name}_change"] = {"value": float(delta), "ci_low": low, "ci_high": high}
    return result

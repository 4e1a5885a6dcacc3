"""Scores, confusion matrices and the statistics of a before/after comparison.

Every predictor, the majority baseline included, is scored by `score`, so the
metric files have the same keys whatever the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats
from sklearn.metrics import confusion_matrix

# Resamples per vectorized call of a bootstrap statistic. Each call uses about
# 3 x 8 bytes x _BATCH x test images of memory.
_BATCH = 500


def _labels(values: Sequence[int] | np.ndarray, num_classes: int, name: str) -> np.ndarray:
    labels = np.asarray(values, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{name} has class indices outside 0 to {num_classes - 1}: {sorted(set(labels.ravel().tolist()))}")
    return labels


def _confusion_counts(truth: np.ndarray, guess: np.ndarray, num_classes: int) -> np.ndarray:
    """Return ... x K x K confusion counts (rows are true classes) of ... x n label arrays.

    Every leading index (one bootstrap resample) gets its own matrix, counted
    with one np.bincount over offset codes.
    """
    batch_shape = truth.shape[:-1]
    rows = int(np.prod(batch_shape))
    cells = num_classes * num_classes
    codes = truth.reshape(rows, -1) * num_classes + guess.reshape(rows, -1)
    codes = codes + (np.arange(rows, dtype=np.int64) * cells)[:, None]
    counts = np.bincount(codes.ravel(), minlength=rows * cells)
    return counts.reshape(*batch_shape, num_classes, num_classes)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Divide elementwise, with 0 where the denominator is 0 (sklearn's zero_division=0)."""
    numerator = numerator.astype(np.float64)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def _per_class(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Return per-class precision, recall, F1 and support of ... x K x K confusion counts."""
    true_positives = np.diagonal(counts, axis1=-2, axis2=-1)
    support = counts.sum(axis=-1)
    predicted = counts.sum(axis=-2)
    return {
        "precision": _safe_divide(true_positives, predicted),
        "recall": _safe_divide(true_positives, support),
        # 2TP / (2TP + FP + FN), which is 0 for a class neither present nor predicted.
        "f1": _safe_divide(2 * true_positives, support + predicted),
        "support": support,
    }


def _accuracy(truth: np.ndarray, guess: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(truth == guess, axis=axis)


def _macro_f1(truth: np.ndarray, guess: np.ndarray, num_classes: int) -> np.ndarray:
    """Return the macro-F1 over classes 0..K-1 of ... x n label arrays.

    It equals sklearn's f1_score(labels=range(K), average="macro", zero_division=0).
    """
    return _per_class(_confusion_counts(truth, guess, num_classes))["f1"].mean(axis=-1)


def score(y_true: Sequence[int], y_pred: Sequence[int], classes: Sequence[str]) -> dict[str, Any]:
    """Return accuracy, balanced accuracy, macro-F1 and per-class precision, recall, F1 and support.

    The values equal sklearn's with zero_division=0, so a class that is never
    predicted gets precision 0, but no warning is issued. Balanced accuracy is
    the mean recall over the classes present in y_true. Every score is 0 for an
    empty test set.
    """
    num_classes = len(classes)
    y_true = _labels(y_true, num_classes, "y_true")
    y_pred = _labels(y_pred, num_classes, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    per_class = _per_class(_confusion_counts(y_true, y_pred, num_classes))
    present = per_class["support"] > 0
    return {
        "accuracy": float(_accuracy(y_true, y_pred)) if len(y_true) else 0.0,
        "balanced_accuracy": float(per_class["recall"][present].mean()) if present.any() else 0.0,
        "macro_f1": float(per_class["f1"].mean()) if num_classes else 0.0,
        "test_images": int(len(y_true)),
        "per_class": {
            name: {
                "precision": float(per_class["precision"][index]),
                "recall": float(per_class["recall"][index]),
                "f1": float(per_class["f1"][index]),
                "support": int(per_class["support"][index]),
            }
            for index, name in enumerate(classes)
        },
    }


def confusion(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int) -> np.ndarray:
    """Return the num_classes x num_classes confusion matrix; rows are true classes."""
    return confusion_matrix(y_true, y_pred, labels=list(range(num_classes)))


def _percentile_interval(data: tuple[np.ndarray, ...], statistic, resamples: int, seed: int) -> tuple[float, float]:
    """Return the paired percentile bootstrap 95% interval of a vectorized `statistic(*data, axis=-1)`."""
    interval = stats.bootstrap(
        data,
        statistic,
        paired=True,
        vectorized=True,
        axis=-1,
        batch=_BATCH,
        n_resamples=resamples,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(seed),
    ).confidence_interval
    return float(interval.low), float(interval.high)


def bootstrap_ci(
    y_true: Sequence[int], y_pred: Sequence[int], num_classes: int, resamples: int, seed: int
) -> dict[str, tuple[float, float]]:
    """Return percentile bootstrap 95% intervals of accuracy and macro-F1 over the test images."""
    y_true = _labels(y_true, num_classes, "y_true")
    y_pred = _labels(y_pred, num_classes, "y_pred")
    if len(y_true) < 2:
        return {"accuracy": (float("nan"), float("nan")), "macro_f1": (float("nan"), float("nan"))}
    statistics = {
        "accuracy": _accuracy,
        "macro_f1": lambda truth, guess, axis=-1: _macro_f1(truth, guess, num_classes),
    }
    return {
        name: _percentile_interval((y_true, y_pred), statistic, resamples, seed)
        for name, statistic in statistics.items()
    }


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
    y_true = _labels(y_true, num_classes, "y_true")
    before = _labels(before, num_classes, "before")
    after = _labels(after, num_classes, "after")
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
        "accuracy": lambda truth, first, second, axis=-1: _accuracy(truth, second) - _accuracy(truth, first),
        "macro_f1": lambda truth, first, second, axis=-1: (
            _macro_f1(truth, second, num_classes) - _macro_f1(truth, first, num_classes)
        ),
    }
    for name, statistic in statistics.items():
        delta = statistic(y_true, before, after)
        if len(y_true) >= 2:
            low, high = _percentile_interval((y_true, before, after), statistic, resamples, seed)
        else:
            low = high = float("nan")
        result[f"{name}_change"] = {"value": float(delta), "ci_low": low, "ci_high": high}
    return result

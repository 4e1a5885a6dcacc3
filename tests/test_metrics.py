"""metrics.score, bootstrap_ci and paired_difference against hand-computed values and sklearn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    precision_recall_fscore_support,
)

from ornaments import metrics

CLASSES = ["Flora", "Geo", "Zoo"]

# Rows are true classes:   predicted Flora  Geo  Zoo
#   Flora (3 images)                   2     1    0
#   Geo   (2 images)                   0     1    1
#   Zoo   (1 image)                    0     0    1
HAND_TRUE = [0, 0, 0, 1, 1, 2]
HAND_PRED = [0, 0, 1, 1, 2, 2]


def random_labels(seed: int, size: int, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Return true labels and predictions that copy them for about half the images and are random otherwise."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, num_classes, size)
    guess = np.where(rng.random(size) < 0.5, truth, rng.integers(0, num_classes, size))
    return truth, guess


def test_score_hand_example_totals():
    result = metrics.score(HAND_TRUE, HAND_PRED, CLASSES)

    assert result["accuracy"] == pytest.approx(4 / 6)
    # Mean recall: (2/3 + 1/2 + 1) / 3.
    assert result["balanced_accuracy"] == pytest.approx(13 / 18)
    # F1 = 2TP / (2TP + FP + FN): Flora 4/5, Geo 2/4, Zoo 2/3.
    assert result["macro_f1"] == pytest.approx((4 / 5 + 2 / 4 + 2 / 3) / 3)
    assert result["test_images"] == 6


@pytest.mark.parametrize(
    ("name", "precision", "recall", "f1", "support"),
    [
        ("Flora", 2 / 2, 2 / 3, 4 / 5, 3),
        ("Geo", 1 / 2, 1 / 2, 2 / 4, 2),
        ("Zoo", 1 / 2, 1 / 1, 2 / 3, 1),
    ],
)
def test_score_hand_example_per_class(name, precision, recall, f1, support):
    scores = metrics.score(HAND_TRUE, HAND_PRED, CLASSES)["per_class"][name]

    assert scores["precision"] == pytest.approx(precision)
    assert scores["recall"] == pytest.approx(recall)
    assert scores["f1"] == pytest.approx(f1)
    assert scores["support"] == support


def test_score_keys_same_for_majority():
    majority = [0] * len(HAND_TRUE)

    model = metrics.score(HAND_TRUE, HAND_PRED, CLASSES)
    baseline = metrics.score(HAND_TRUE, majority, CLASSES)

    assert baseline.keys() == model.keys()
    assert baseline["per_class"].keys() == model["per_class"].keys()
    for name in CLASSES:
        assert baseline["per_class"][name].keys() == model["per_class"][name].keys()
    assert baseline["accuracy"] == pytest.approx(3 / 6)
    assert baseline["balanced_accuracy"] == pytest.approx(1 / 3)


def test_score_unpredicted_class_zero_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = metrics.score([0, 1, 2, 2], [0, 1, 1, 1], CLASSES)

    assert result["per_class"]["Zoo"]["precision"] == 0.0
    assert result["per_class"]["Zoo"]["recall"] == 0.0
    assert result["per_class"]["Zoo"]["f1"] == 0.0
    assert result["per_class"]["Zoo"]["support"] == 2


def test_score_class_absent_from_truth_without_warning():
    # sklearn's balanced_accuracy_score warns here. Like sklearn, score leaves the class out of the mean.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = metrics.score([0, 0, 1], [0, 2, 1], CLASSES)

    assert result["balanced_accuracy"] == pytest.approx((1 / 2 + 1) / 2)
    assert result["per_class"]["Zoo"]["support"] == 0


def test_score_empty_is_zero():
    result = metrics.score([], [], CLASSES)

    assert result["accuracy"] == 0.0
    assert result["balanced_accuracy"] == 0.0
    assert result["macro_f1"] == 0.0
    assert result["test_images"] == 0


def test_score_label_out_of_range_rejected():
    with pytest.raises(ValueError, match="outside 0 to 2"):
        metrics.score([0, 1, 3], [0, 1, 2], CLASSES)


@pytest.mark.parametrize("seed", range(5))
def test_score_equals_sklearn(seed):
    num_classes = 4
    truth, guess = random_labels(seed, 40, num_classes)
    truth[truth == 3] = 2  # class 3 is never a true label, only predicted
    labels = list(range(num_classes))
    names = [f"class{index}" for index in labels]

    result = metrics.score(truth, guess, names)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_balanced = balanced_accuracy_score(truth, guess)
    precision, recall, f1, support = precision_recall_fscore_support(truth, guess, labels=labels, zero_division=0)
    assert result["accuracy"] == pytest.approx(accuracy_score(truth, guess))
    assert result["balanced_accuracy"] == pytest.approx(expected_balanced)
    assert result["macro_f1"] == pytest.approx(f1_score(truth, guess, labels=labels, average="macro", zero_division=0))
    assert [result["per_class"][name]["precision"] for name in names] == pytest.approx(precision)
    assert [result["per_class"][name]["recall"] for name in names] == pytest.approx(recall)
    assert [result["per_class"][name]["f1"] for name in names] == pytest.approx(f1)
    assert [result["per_class"][name]["support"] for name in names] == list(support)


def test_macro_f1_batched_equals_sklearn():
    rng = np.random.default_rng(7)
    num_classes = 5
    truth = rng.integers(0, num_classes, (200, 30))
    guess = np.where(rng.random((200, 30)) < 0.4, truth, rng.integers(0, num_classes, (200, 30)))

    batched = metrics._macro_f1(truth, guess, num_classes)

    expected = [
        f1_score(row_truth, row_guess, labels=list(range(num_classes)), average="macro", zero_division=0)
        for row_truth, row_guess in zip(truth, guess)
    ]
    assert batched.shape == (200,)
    assert batched == pytest.approx(np.array(expected), abs=1e-12)


def test_bootstrap_contains_point_estimate():
    truth, guess = random_labels(0, 60, 3)

    intervals = metrics.bootstrap_ci(truth, guess, 3, resamples=500, seed=1)

    accuracy = float(np.mean(truth == guess))
    macro_f1 = f1_score(truth, guess, labels=[0, 1, 2], average="macro", zero_division=0)
    assert intervals["accuracy"][0] <= accuracy <= intervals["accuracy"][1]
    assert intervals["macro_f1"][0] <= macro_f1 <= intervals["macro_f1"][1]
    assert intervals["accuracy"][0] < intervals["accuracy"][1]
    assert intervals["macro_f1"][0] < intervals["macro_f1"][1]


def test_bootstrap_reproducible_for_seed():
    truth, guess = random_labels(0, 60, 3)

    first = metrics.bootstrap_ci(truth, guess, 3, resamples=300, seed=5)
    second = metrics.bootstrap_ci(truth, guess, 3, resamples=300, seed=5)
    other_seed = metrics.bootstrap_ci(truth, guess, 3, resamples=300, seed=6)

    assert first == second
    assert other_seed != first


def test_bootstrap_equals_sklearn_statistic():
    """The vectorized macro-F1 gives the same interval as scipy resampling sklearn's f1_score one by one."""
    truth, guess = random_labels(3, 50, 3)

    intervals = metrics.bootstrap_ci(truth, guess, 3, resamples=200, seed=11)

    expected = stats.bootstrap(
        (truth, guess),
        lambda t, g: f1_score(t, g, labels=[0, 1, 2], average="macro", zero_division=0),
        paired=True,
        vectorized=False,
        n_resamples=200,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(11),
    ).confidence_interval
    assert intervals["macro_f1"][0] == pytest.approx(expected.low, abs=1e-12)
    assert intervals["macro_f1"][1] == pytest.approx(expected.high, abs=1e-12)


def test_bootstrap_single_image_nan():
    intervals = metrics.bootstrap_ci([1], [1], 3, resamples=100, seed=0)

    assert np.isnan(intervals["accuracy"]).all()
    assert np.isnan(intervals["macro_f1"]).all()


def test_mcnemar_zero_versus_six():
    truth = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    before = truth.copy()
    before[:6] = (truth[:6] + 1) % 3  # wrong on the first six
    after = truth.copy()  # right everywhere

    result = metrics.paired_difference(truth, before, after, 3, resamples=200, seed=0)

    assert result["only_before_correct"] == 0
    assert result["only_after_correct"] == 6
    # Two-sided exact binomial test: 2 * 0.5**6.
    assert result["mcnemar_p"] == pytest.approx(0.03125)
    assert result["accuracy_change"]["value"] == pytest.approx(0.6)


def test_mcnemar_one_versus_five():
    truth = np.zeros(8, dtype=int)
    before = np.array([0, 1, 1, 1, 1, 1, 0, 0])  # right on 0, 6, 7
    after = np.array([1, 0, 0, 0, 0, 0, 0, 0])  # right on 1-7

    result = metrics.paired_difference(truth, before, after, 3, resamples=200, seed=0)

    assert result["only_before_correct"] == 1
    assert result["only_after_correct"] == 5
    # 2 * P(X <= 1) for X ~ Binomial(6, 0.5) = 2 * 7 / 64.
    assert result["mcnemar_p"] == pytest.approx(14 / 64)


def test_paired_identical_predictors():
    truth, guess = random_labels(2, 40, 3)

    result = metrics.paired_difference(truth, guess, guess.copy(), 3, resamples=300, seed=0)

    assert result["only_before_correct"] == 0
    assert result["only_after_correct"] == 0
    assert result["mcnemar_p"] == 1.0
    for name in ("accuracy_change", "macro_f1_change"):
        assert result[name]["value"] == 0.0
        assert result[name]["ci_low"] == 0.0
        assert result[name]["ci_high"] == 0.0


def test_paired_interval_contains_change():
    truth, before = random_labels(4, 80, 3)
    _, after = random_labels(5, 80, 3)
    after = np.where(np.arange(80) % 3 == 0, truth, after)

    result = metrics.paired_difference(truth, before, after, 3, resamples=500, seed=0)

    for name in ("accuracy_change", "macro_f1_change"):
        change = result[name]
        assert change["ci_low"] <= change["value"] <= change["ci_high"]


def test_paired_length_mismatch_rejected():
    with pytest.raises(ValueError, match="same test images"):
        metrics.paired_difference([0, 1, 2], [0, 1], [0, 1, 2], 3, resamples=100, seed=0)


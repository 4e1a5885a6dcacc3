"""split.split and split.kfold on labels and duplicate groups."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from ornaments import split
from ornaments.intake import DataError

RATIOS = {"train": 0.70, "val": 0.15, "test": 0.15}


def distinct(counts: dict[str, int]) -> tuple[list[str], list[int]]:
    """Return labels and groups for `counts` distinct images per class (every image its own group)."""
    labels = [label for label, count in counts.items() for _ in range(count)]
    return labels, list(range(len(labels)))


def with_duplicates(counts: dict[str, int], copies: int) -> tuple[list[str], list[int]]:
    """Return labels and groups for `counts` distinct pictures per class, each present `copies` times."""
    labels, groups = [], []
    group = 0
    for label, count in counts.items():
        for _ in range(count):
            labels.extend([label] * copies)
            groups.extend([group] * copies)
            group += 1
    return labels, groups


def split_counts(labels: list[str], names: list[str]) -> dict[str, dict[str, int]]:
    counts = Counter(zip(labels, names))
    return {label: {name: counts[(label, name)] for name in split.SPLITS} for label in sorted(set(labels))}


def test_split_stratified():
    labels, groups = distinct({"Flora": 20, "Geo": 10, "Zoo": 7})

    names = split.split(labels, groups, RATIOS, seed=42)

    # Largest remainder method. 20 images split 14/3/3. 10 images split
    # 7/1.5/1.5, and the tie for the spare image goes to val. 7 images split
    # 4.9/1.05/1.05, so the spare image goes to train.
    assert split_counts(labels, names) == {
        "Flora": {"train": 14, "val": 3, "test": 3},
        "Geo": {"train": 7, "val": 2, "test": 1},
        "Zoo": {"train": 5, "val": 1, "test": 1},
    }


def test_split_small_class():
    labels, groups = distinct({"Rare": 3, "Common": 20})

    names = split.split(labels, groups, RATIOS, seed=0)

    # 3 images by 70/15/15 round to 2/1/0, but every split above 0 gets one.
    assert split_counts(labels, names)["Rare"] == {"train": 1, "val": 1, "test": 1}


def test_split_seeded():
    labels, groups = distinct({"Flora": 20, "Geo": 20})

    first = split.split(labels, groups, RATIOS, seed=7)
    again = split.split(labels, groups, RATIOS, seed=7)
    other = split.split(labels, groups, RATIOS, seed=8)

    assert first == again
    assert first != other
    assert split_counts(labels, other) == split_counts(labels, first)


def test_split_groups_together():
    labels, groups = with_duplicates({"Flora": 10, "Geo": 8}, copies=3)

    names = split.split(labels, groups, RATIOS, seed=3)

    by_group: dict[int, set[str]] = {}
    for group, name in zip(groups, names):
        by_group.setdefault(group, set()).add(name)
    for group, found in by_group.items():
        assert len(found) == 1, f"group {group} is in splits {sorted(found)}"


def test_split_allocates_groups():
    # The shares apply to distinct pictures: 10 groups of 3 copies split 7/2/1 groups.
    labels, groups = with_duplicates({"Flora": 10}, copies=3)

    names = split.split(labels, groups, RATIOS, seed=3)

    assert Counter(names) == {"train": 21, "val": 6, "test": 3}


def test_split_too_few():
    # Four images, but only two distinct pictures: too few for three splits.
    labels, groups = with_duplicates({"Rare": 2}, copies=2)
    more_labels, more_groups = distinct({"Common": 10})
    labels += more_labels
    groups += [group + 100 for group in more_groups]

    with pytest.raises(DataError) as error:
        split.split(labels, groups, RATIOS, seed=0)

    assert "'Rare'" in str(error.value)
    assert "2 distinct image(s)" in str(error.value)
    assert "needs at least 3" in str(error.value)


def test_split_val_zero():
    labels, groups = distinct({"Pair": 2, "Flora": 10})

    names = split.split(labels, groups, {"train": 0.8, "val": 0.0, "test": 0.2}, seed=1)

    assert "val" not in names
    assert split_counts(labels, names) == {
        "Flora": {"train": 8, "val": 0, "test": 2},
        "Pair": {"train": 1, "val": 0, "test": 1},
    }


def test_split_length_mismatch():
    with pytest.raises(ValueError):
        split.split(["Flora", "Geo"], [0], RATIOS, seed=0)


def kfold_data() -> tuple[list[str], list[int]]:
    """Return 3 classes of 6 to 9 pictures, some pictures in 2 or 3 copies, in mixed order."""
    labels, groups = [], []
    for offset, (label, count) in enumerate({"Flora": 6, "Geo": 8, "Zoo": 9}.items()):
        for number in range(count):
            copies = 1 + number % 3
            labels.extend([label] * copies)
            groups.extend([offset * 100 + number] * copies)
    order = np.random.default_rng(0).permutation(len(labels))
    return [labels[index] for index in order], [groups[index] for index in order]


def test_kfold_covers_once():
    labels, groups = kfold_data()

    folds = list(split.kfold(labels, groups, folds=3, repeats=2, seed=5))

    assert [(repeat, fold) for repeat, fold, _, _ in folds] == [(r, f) for r in range(2) for f in range(3)]
    for repeat in range(2):
        tested = np.concatenate([test for r, _, _, test in folds if r == repeat])
        assert sorted(tested.tolist()) == list(range(len(labels))), f"repeat {repeat}"


def test_kfold_train_test_disjoint():
    labels, groups = kfold_data()

    for repeat, fold, train, test in split.kfold(labels, groups, folds=3, repeats=2, seed=5):
        assert set(train.tolist()).isdisjoint(test.tolist()), f"repeat {repeat} fold {fold}"
        assert len(train) + len(test) == len(labels), f"repeat {repeat} fold {fold}"


def test_kfold_groups_intact():
    labels, groups = kfold_data()

    for repeat, fold, train, test in split.kfold(labels, groups, folds=3, repeats=2, seed=5):
        train_groups = {groups[index] for index in train}
        test_groups = {groups[index] for index in test}
        assert train_groups.isdisjoint(test_groups), f"repeat {repeat} fold {fold}"


def test_kfold_stratified():
    labels, groups = kfold_data()

    for repeat, fold, _, test in split.kfold(labels, groups, folds=3, repeats=1, seed=5):
        assert {labels[index] for index in test} == {"Flora", "Geo", "Zoo"}, f"fold {fold}"


def test_kfold_seeded():
    labels, groups = kfold_data()

    first = [test.tolist() for _, _, _, test in split.kfold(labels, groups, folds=3, repeats=2, seed=5)]
    again = [test.tolist() for _, _, _, test in split.kfold(labels, groups, folds=3, repeats=2, seed=5)]

    assert first == again


def test_kfold_too_few():
    labels, groups = with_duplicates({"Rare": 2, "Common": 6}, copies=2)

    with pytest.raises(DataError) as error:
        list(split.kfold(labels, groups, folds=3, repeats=1, seed=0))

    assert "'Rare'" in str(error.value)
    assert "crossval.folds=3" in str(error.value)

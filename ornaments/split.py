"""Stratified train/val/test split that keeps duplicate groups together."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from .errors import DataError

SPLITS = ("train", "val", "test")


def _allocate(count: int, ratios: Sequence[float]) -> list[int]:
    """Divide `count` items by `ratios`: largest remainder, at least one for every ratio above 0."""
    exact_sizes = [count * ratio for ratio in ratios]
    sizes = [int(np.floor(value)) for value in exact_sizes]
    by_remainder = sorted(range(len(ratios)), key=lambda index: (exact_sizes[index] - sizes[index], -index), reverse=True)
    for index in by_remainder[: count - sum(sizes)]:
        sizes[index] += 1
    for index, ratio in enumerate(ratios):
        if ratio > 0 and sizes[index] == 0:
            donor = max(range(len(sizes)), key=lambda other: sizes[other])
            sizes[donor] -= 1
            sizes[index] += 1
    return sizes


def split(
    labels: Sequence[str],
    groups: Sequence[int],
    ratios: dict[str, float],
    seed: int,
) -> list[str]:
    """Return a split name for every image.

    Images with the same group id always share a split. A group belongs to the
    class of its first image; each class is divided by `ratios` on its own.
    """
    if len(labels) != len(groups):
        raise ValueError("labels and groups differ in length")
    shares = [ratios[name] for name in SPLITS]
    needed = sum(share > 0 for share in shares)
    group_class: dict[int, str] = {}
    for label, group in zip(labels, groups):
        group_class.setdefault(group, label)
    class_groups: dict[str, list[int]] = defaultdict(list)
    for group, label in group_class.items():
        class_groups[label].append(group)

    rng = np.random.default_rng(seed)
    group_split: dict[int, str] = {}
    for label in sorted(class_groups):
        members = sorted(class_groups[label])
        if len(members) < needed:
            raise DataError(
                f"class {label!r} has {len(members)} distinct image(s); a split into "
                f"{', '.join(name for name, share in zip(SPLITS, shares) if share > 0)} needs at least "
                f"{needed}. Add images to {label!r}, remove the class folder, or set split.val to 0."
            )
        order = rng.permutation(len(members))
        sizes = _allocate(len(members), shares)
        position = 0
        for name, size in zip(SPLITS, sizes):
            for index in order[position : position + size]:
                group_split[members[index]] = name
            position += size
    return [group_split[group] for group in groups]


def kfold(
    labels: Sequence[str], groups: Sequence[int], folds: int, repeats: int, seed: int
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """Yield (repeat, fold, train indices, test indices) of repeated stratified group k-fold."""
    counts: dict[str, set[int]] = defaultdict(set)
    for label, group in zip(labels, groups):
        counts[label].add(group)
    for label, members in sorted(counts.items()):
        if len(members) < folds:
            raise DataError(
                f"class {label!r} has {len(members)} distinct image(s), fewer than crossval.folds={folds}; "
                "lower crossval.folds or add images"
            )
    indices = np.arange(len(labels))
    for repeat in range(repeats):
        # One independent stream per (seed, repeat): seed 5 repeat 1 differs from seed 6 repeat 0.
        state = int(np.random.SeedSequence([seed, repeat]).generate_state(1)[0])
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=state)
        for fold, (train, test) in enumerate(splitter.split(indices, list(labels), list(groups))):
            yield repeat, fold, train, test

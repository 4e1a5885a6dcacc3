"""The albumentations pipeline from params, offline expansion and online seeding."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from conftest import ROOT
from ornaments import augment, params, train

BACKGROUND = (10, 200, 30)


@pytest.fixture
def settings() -> dict:
    return dict(params.load(ROOT / "params.yaml")["augment"])


def motif(seed: int, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Return a background image with a random red block and its mask."""
    rng = np.random.default_rng(seed)
    pixels = np.empty((size, size, 3), np.uint8)
    pixels[...] = BACKGROUND
    mask = np.zeros((size, size), np.uint8)
    top, left = rng.integers(2, size // 2, 2)
    pixels[top : top + 10, left : left + 6] = (220, 20, 20)
    mask[top : top + 10, left : left + 6] = 255
    return pixels, mask


def only(settings: dict, **probabilities) -> dict:
    """Return settings with every transform off except the given probabilities."""
    changed = dict(settings)
    for key in changed:
        if key.endswith("_p"):
            changed[key] = 0.0
    changed.update(probabilities)
    return changed


def test_apply_same_seed_same_result(settings):
    pipeline = augment.build(settings, 32, BACKGROUND)
    pixels, mask = motif(0)
    first = augment.apply(pipeline, pixels, mask, seed=7)
    second = augment.apply(pipeline, pixels, mask, seed=7)
    assert np.array_equal(first[0], second[0])
    assert np.array_equal(first[1], second[1])


def test_apply_seeds_differ(settings):
    pipeline = augment.build(only(settings, rotate_p=1.0, color_p=1.0), 32, BACKGROUND)
    pixels, mask = motif(0)
    results = {augment.apply(pipeline, pixels, mask, seed=seed)[0].tobytes() for seed in range(5)}
    assert len(results) == 5


def test_mask_follows_flip(settings):
    pipeline = augment.build(only(settings, hflip_p=1.0), 32, BACKGROUND)
    pixels, mask = motif(1)
    image, flipped = augment.apply(pipeline, pixels, mask, seed=0)
    assert np.array_equal(image, pixels[:, ::-1])
    assert np.array_equal(flipped, mask[:, ::-1])


def test_rotation_fills_background(settings):
    changed = only(settings, rotate_p=1.0)
    changed["rotate_limit"] = 45.0
    pipeline = augment.build(changed, 32, BACKGROUND)
    image, mask = augment.apply(pipeline, *motif(2), seed=3)
    assert tuple(image[0, 0]) == BACKGROUND
    assert mask[0, 0] == 0


def test_expand_counts_per_class(settings):
    settings = dict(settings, enabled=True, copies=2, copies_per_class={"Flora": 4})
    images = np.stack([motif(seed)[0] for seed in range(3)])
    masks = np.stack([motif(seed)[1] for seed in range(3)])
    pixels, out_masks, sources, copies = augment.expand(images, masks, ["Flora", "Geo", "Zoo"], settings, BACKGROUND, 42)
    assert len(pixels) == 3 + 4 + 2 + 2
    assert len(out_masks) == len(pixels)
    assert sources.tolist() == [0] * 5 + [1] * 3 + [2] * 3
    assert copies.tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 0, 1, 2]
    for index in range(3):
        assert np.array_equal(pixels[sources.tolist().index(index)], images[index])


def test_expand_disabled_keeps_originals(settings):
    settings = dict(settings, enabled=False, copies=3)
    images = np.stack([motif(seed)[0] for seed in range(2)])
    masks = np.stack([motif(seed)[1] for seed in range(2)])
    pixels, _, sources, copies = augment.expand(images, masks, ["Flora", "Geo"], settings, BACKGROUND, 42)
    assert np.array_equal(pixels, images)
    assert sources.tolist() == [0, 1]
    assert copies.tolist() == [0, 0]


def test_expand_unknown_class_rejected(settings):
    settings = dict(settings, copies_per_class={"Flroa": 3})
    images = np.stack([motif(0)[0]])
    with pytest.raises(ValueError, match="Flroa"):
        augment.expand(images, np.stack([motif(0)[1]]), ["Flora"], settings, BACKGROUND, 42)


def batches(dataset, workers: int) -> list[torch.Tensor]:
    loader = DataLoader(
        dataset, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(5), num_workers=workers,
        worker_init_fn=train._seed_worker if workers else None,
    )
    return [images for images, _ in loader]


def test_online_same_for_any_workers(settings):
    settings = only(settings, rotate_p=1.0, color_p=1.0, hflip_p=0.5)
    images = np.stack([motif(seed)[0] for seed in range(8)])
    masks = np.stack([motif(seed)[1] for seed in range(8)])
    pipeline = augment.build(settings, 32, BACKGROUND)
    dataset = train._OnlineAugmented(images, masks, np.arange(8) % 3, pipeline, seed=42)
    dataset.epoch = 1
    in_process = batches(dataset, 0)
    in_workers = batches(dataset, 2)
    assert len(in_process) == len(in_workers)
    for first, second in zip(in_process, in_workers):
        assert torch.equal(first, second)


def test_online_epochs_differ(settings):
    settings = only(settings, rotate_p=1.0, color_p=1.0)
    images = np.stack([motif(seed)[0] for seed in range(4)])
    masks = np.stack([motif(seed)[1] for seed in range(4)])
    dataset = train._OnlineAugmented(images, masks, np.zeros(4, np.int64), augment.build(settings, 32, BACKGROUND), seed=42)
    dataset.epoch = 1
    first = dataset[0][0]
    dataset.epoch = 2
    assert not torch.equal(first, dataset[0][0])

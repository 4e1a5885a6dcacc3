"""The albumentations pipeline from params.yaml, and offline expansion.

Each augmented sample is seeded from (seed, epoch or copy, image index), so
the result does not depend on DataLoader worker count or order.
"""

from __future__ import annotations

from typing import Any

import albumentations as A
import cv2
import numpy as np

from .progress import log
from .errors import ConfigError


def sample_seed(*keys: int) -> int:
    """Return a 32-bit seed derived from integer keys (seed, epoch, index, ...)."""
    return int(np.random.SeedSequence([int(key) for key in keys]).generate_state(1)[0])


def build(augment: dict[str, Any], size: int, background: tuple[int, int, int]) -> A.Compose:
    """Return the augmentation pipeline for `size` x `size` RGB images with a mask target.

    Geometric transforms fill uncovered corners with the background colour, and
    the mask (the motif's alpha) follows the image.
    """
    fill = tuple(float(channel) for channel in background)
    shear = augment["affine_shear"]
    translate = augment["affine_translate"]
    transforms = [
        A.HorizontalFlip(p=augment["hflip_p"]),
        A.VerticalFlip(p=augment["vflip_p"]),
        A.RandomRotate90(p=augment["rotate90_p"]),
        A.Rotate(
            limit=augment["rotate_limit"],
            border_mode=cv2.BORDER_CONSTANT,
            fill=fill,
            fill_mask=0,
            p=augment["rotate_p"],
        ),
        A.Affine(
            shear=(-shear, shear),
            translate_percent=(-translate, translate),
            border_mode=cv2.BORDER_CONSTANT,
            fill=fill,
            fill_mask=0,
            p=augment["affine_p"],
        ),
        A.RandomResizedCrop(size=(size, size), scale=(augment["crop_scale_min"], 1.0), ratio=(0.9, 1.1), p=augment["crop_p"]),
        # Flat-coloured ornaments: small hue and saturation shifts, no contrast change.
        A.ColorJitter(
            brightness=augment["color_brightness"],
            contrast=0.0,
            saturation=augment["color_saturation"],
            hue=augment["color_hue"],
            p=augment["color_p"],
        ),
    ]
    return A.Compose(transforms, seed=0)


def apply(pipeline: A.Compose, pixels: np.ndarray, mask: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Augment one image and its mask with a pipeline reseeded to `seed`."""
    pipeline.set_random_seed(seed)
    result = pipeline(image=np.ascontiguousarray(pixels), mask=np.ascontiguousarray(mask))
    return result["image"], result["mask"]


def copies_for(label: str, augment: dict[str, Any]) -> int:
    """Return how many augmented copies each training image of class `label` gets."""
    if not augment["enabled"]:
        return 0
    return augment["copies_per_class"].get(label, augment["copies"])


def expand(
    pixels: np.ndarray,
    masks: np.ndarray,
    labels: list[str],
    augment: dict[str, Any],
    background: tuple[int, int, int],
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the training images plus their augmented copies.

    Returns pixels, masks, the index of each output's source image, and the copy
    number (0 for the original).
    """
    unknown = sorted(set(augment["copies_per_class"]) - set(labels))
    if unknown:
        raise ConfigError(
            f"augment.copies_per_class names {unknown[0]!r}, which is not a class in the training data; "
            f"classes: {', '.join(sorted(set(labels)))}"
        )
    pipeline = build(augment, pixels.shape[1], background)
    out_pixels, out_masks, sources, copy_numbers = [], [], [], []
    total = sum(copies_for(label, augment) for label in labels)
    done = 0
    for index, label in enumerate(labels):
        out_pixels.append(np.asarray(pixels[index]))
        out_masks.append(np.asarray(masks[index]))
        sources.append(index)
        copy_numbers.append(0)
        for copy in range(1, copies_for(label, augment) + 1):
            image, mask = apply(pipeline, pixels[index], masks[index], sample_seed(seed, 1, copy, index))
            out_pixels.append(image)
            out_masks.append(mask)
            sources.append(index)
            copy_numbers.append(copy)
            done += 1
            if done % 100 == 0 or done == total:
                log(f"augmented copies {done}/{total}")
    return (
        np.stack(out_pixels).astype(np.uint8),
        np.stack(out_masks).astype(np.uint8),
        np.asarray(sources, dtype=np.int64),
        np.asarray(copy_numbers, dtype=np.int64),
    )

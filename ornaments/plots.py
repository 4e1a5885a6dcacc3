"""Matplotlib figures: confusion matrices and Grad-CAM galleries."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.font_manager as font_manager  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from .store import atomic_path  # noqa: E402

# DejaVu Sans covers Latin, Cyrillic (Kazakh letters included) and Greek. CJK
# class names render only where a Noto CJK font is installed.
_FALLBACKS = ("Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans", "Noto Sans Arabic")
_installed = {font.name for font in font_manager.fontManager.ttflist}
matplotlib.rcParams["font.family"] = ["DejaVu Sans"] + [name for name in _FALLBACKS if name in _installed]
matplotlib.rcParams["svg.hashsalt"] = "ornaments"


def _save(figure, path: str | Path) -> None:
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)


def confusion_png(matrix: np.ndarray, classes: list[str], path: str | Path, title: str) -> None:
    """Save a confusion matrix with class names, counts and row-normalised shading."""
    size = max(4.0, 1.1 * len(classes) + 2)
    figure, axis = plt.subplots(figsize=(size, size * 0.85))
    display = ConfusionMatrixDisplay(matrix, display_labels=classes)
    display.plot(ax=axis, cmap="Blues", colorbar=False, values_format="d")
    axis.set_title(title)
    axis.set_xlabel("Predicted class")
    axis.set_ylabel("True class")
    plt.setp(axis.get_xticklabels(), rotation=30 if len(classes) > 4 else 0, ha="right" if len(classes) > 4 else "center")
    _save(figure, path)


def colorize(cam: np.ndarray) -> np.ndarray:
    """Return an H x W x 3 uint8 RGB image of a [0, 1] heatmap (jet colour map)."""
    return (matplotlib.colormaps["jet"](np.clip(cam, 0, 1))[..., :3] * 255).round().astype(np.uint8)


def overlay(image: np.ndarray, cam: np.ndarray, strength: float = 0.45) -> np.ndarray:
    """Blend an RGB heatmap over an RGB image of the same height and width."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be H x W x 3 RGB, got shape {image.shape}")
    if image.shape[:2] != cam.shape:
        raise ValueError(f"image {image.shape[:2]} and heatmap {cam.shape} differ in size")
    blended = (1 - strength) * image.astype(np.float32) + strength * colorize(cam).astype(np.float32)
    return blended.round().clip(0, 255).astype(np.uint8)


def gallery_png(rows: list[dict], path: str | Path, title: str) -> None:
    """Save a gallery: one row per image with the original, heatmap and overlay side by side.

    Each row dict contains `image` (H x W x 3 uint8), `cam` (H x W in [0, 1]) and a `caption`.
    """
    figure, axes = plt.subplots(len(rows), 3, figsize=(9, 3.1 * len(rows)), squeeze=False)
    for axis_row, row in zip(axes, rows):
        axis_row[0].imshow(row["image"])
        axis_row[0].set_title(row["caption"], fontsize=9, loc="left")
        axis_row[1].imshow(row["cam"], cmap="jet", vmin=0, vmax=1)
        axis_row[1].set_title("Grad-CAM", fontsize=9)
        axis_row[2].imshow(overlay(row["image"], row["cam"]))
        axis_row[2].set_title("overlay", fontsize=9)
        for axis in axis_row:
            axis.set_axis_off()
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    _save(figure, path)


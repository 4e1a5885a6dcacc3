"""Generate the demo data set: drawn ornament-like motifs in three classes.

Each image is a flat red motif on a transparent background whose hidden
colour is black, like scanned ornament collections, so the alpha handling is
exercised from the first run. The alpha channel marks the motif exactly,
which the Grad-CAM sanity score uses. These are synthetic shapes made for this
project, not ornaments from any collection.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ("Flora", "Geo", "Zoo")
_SUPERSAMPLE = 4


def _colour(rng: np.random.Generator) -> tuple[int, int, int, int]:
    return (int(rng.integers(170, 236)), int(rng.integers(0, 40)), int(rng.integers(0, 45)), 255)


def _rotate(points: np.ndarray, angle: float) -> np.ndarray:
    cos, sin = math.cos(angle), math.sin(angle)
    return points @ np.array([[cos, sin], [-sin, cos]])


def _flora(draw: ImageDraw.ImageDraw, center: np.ndarray, radius: float, rng: np.random.Generator, fill) -> None:
    """Draw a rosette of petals on a curved stem with leaves."""
    petals = int(rng.integers(5, 9))
    turn = rng.uniform(0, math.pi)
    petal = np.array([[math.cos(t) * 0.16, math.sin(t) * 0.45 + 0.45] for t in np.linspace(0, 2 * math.pi, 40)])
    flower = center + np.array([0.0, -0.25 * radius])
    for index in range(petals):
        shape = _rotate(petal * radius * 0.55, turn + 2 * math.pi * index / petals) + flower
        draw.polygon([tuple(point) for point in shape], fill=fill)
    steps = np.linspace(0, 1, 30)
    bend = rng.uniform(-0.3, 0.3)
    stem = np.stack([flower[0] + bend * radius * np.sin(steps * math.pi), flower[1] + steps * radius * 1.05], axis=1)
    draw.line([tuple(point) for point in stem], fill=fill, width=max(2, int(radius * 0.06)))
    for side in (-1, 1):
        at = stem[int(rng.integers(12, 24))]
        leaf = _rotate(petal * radius * 0.45, side * rng.uniform(0.6, 1.2) + math.pi / 2 * side) + at
        draw.polygon([tuple(point) for point in leaf], fill=fill)


def _geo(draw: ImageDraw.ImageDraw, center: np.ndarray, radius: float, rng: np.random.Generator, fill) -> None:
    """Draw nested polygons, a stepped cross or a star: straight edges only."""
    kind = int(rng.integers(0, 3))
    turn = rng.uniform(0, math.pi / 2)
    width = max(2, int(radius * rng.uniform(0.06, 0.1)))
    if kind == 0:
        sides = int(rng.choice([4, 6, 8]))
        for scale in (1.0, 0.68, 0.36):
            corners = [
                tuple(center + radius * scale * np.array([math.cos(turn + 2 * math.pi * k / sides), math.sin(turn + 2 * math.pi * k / sides)]))
                for k in range(sides)
            ]
            draw.polygon(corners, outline=fill, width=width)
    elif kind == 1:
        arm, step = radius, radius * 0.35
        outline = np.array([
            [step, -step], [step, -arm], [-step, -arm], [-step, -step], [-arm, -step], [-arm, step],
            [-step, step], [-step, arm], [step, arm], [step, step], [arm, step], [arm, -step],
        ])
        draw.polygon([tuple(point) for point in _rotate(outline, turn) + center], fill=fill)
        draw.rectangle(tuple(center - step * 0.5) + tuple(center + step * 0.5), fill=(0, 0, 0, 0))
    else:
        points = int(rng.integers(5, 9))
        star = []
        for k in range(2 * points):
            reach = radius if k % 2 == 0 else radius * rng.uniform(0.35, 0.5)
            angle = turn + math.pi * k / points
            star.append(tuple(center + reach * np.array([math.cos(angle), math.sin(angle)])))
        draw.polygon(star, fill=fill)


def _zoo(draw: ImageDraw.ImageDraw, center: np.ndarray, radius: float, rng: np.random.Generator, fill) -> None:
    """Draw a pair of mirrored spiral horns, the ram's-horn motif."""
    turns = rng.uniform(1.3, 2.1)
    width = max(2, int(radius * rng.uniform(0.08, 0.12)))
    angles = np.linspace(0, turns * 2 * math.pi, 120)
    reach = radius * 0.5 * (1 - angles / angles[-1] * 0.85)
    tilt = rng.uniform(-0.3, 0.3)
    for side in (-1, 1):
        curve = np.stack([side * reach * np.cos(angles), -reach * np.sin(angles)], axis=1)
        curve = _rotate(curve, tilt) + center + np.array([side * radius * 0.48, -radius * 0.1])
        draw.line([tuple(point) for point in curve], fill=fill, width=width, joint="curve")
    stem = [tuple(center + np.array([0, -radius * 0.1])), tuple(center + np.array([0, radius * 0.9]))]
    draw.line(stem, fill=fill, width=width)


_DRAW = {"Flora": _flora, "Geo": _geo, "Zoo": _zoo}


def draw_motif(label: str, size: int, rng: np.random.Generator) -> Image.Image:
    """Return one RGBA motif of class `label`; transparent pixels are (0, 0, 0, 0)."""
    width = size
    height = size if rng.random() < 0.7 else int(size * rng.uniform(0.85, 1.0))
    canvas = Image.new("RGBA", (width * _SUPERSAMPLE, height * _SUPERSAMPLE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    scale = _SUPERSAMPLE * min(width, height)
    radius = scale * rng.uniform(0.28, 0.4)
    center = np.array([width * _SUPERSAMPLE / 2, height * _SUPERSAMPLE / 2]) + rng.uniform(-0.08, 0.08, 2) * scale
    _DRAW[label](draw, center, radius, rng, _colour(rng))
    image = canvas.resize((width, height), Image.Resampling.LANCZOS)
    # Resampling blends colour into transparent pixels; keep the hidden colour black.
    pixels = np.asarray(image).copy()
    pixels[pixels[..., 3] == 0, :3] = 0
    return Image.fromarray(pixels, mode="RGBA")


def generate(folder: str | Path, per_class: int, size: int, seed: int) -> int:
    """Write `per_class` PNG images per class into `folder`/<class>/; return the count."""
    folder = Path(folder)
    rng = np.random.default_rng(seed)
    count = 0
    for label in CLASSES:
        (folder / label).mkdir(parents=True, exist_ok=True)
        for number in range(1, per_class + 1):
            draw_motif(label, size, rng).save(folder / label / f"{label.lower()}_{number:03d}.png")
            count += 1
    return count

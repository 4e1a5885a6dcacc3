"""Figures with class names in non-Latin scripts."""

from __future__ import annotations

import warnings

import numpy as np
from PIL import Image

from ornaments import plots

KAZAKH_CLASSES = ["Өсімдік", "Қошқар мүйіз", "Геометрия"]


def test_confusion_png_kazakh_names(tmp_path):
    path = tmp_path / "confusion.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.confusion_png(np.array([[3, 1, 0], [0, 4, 1], [0, 0, 5]]), KAZAKH_CLASSES, path, "Сынақ")
    with Image.open(path) as image:
        assert image.width > 200
        assert image.height > 200


def test_gallery_png_rows(tmp_path):
    path = tmp_path / "gallery.png"
    rows = [
        {"image": np.full((40, 60, 3), 255, np.uint8), "cam": np.linspace(0, 1, 2400).reshape(40, 60), "caption": "Өсімдік/сурет 1.png"},
        {"image": np.zeros((50, 30, 3), np.uint8), "cam": np.zeros((50, 30)), "caption": "Geo/geo_1.png"},
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.gallery_png(rows, path, "resnet18: Өсімдік")
    with Image.open(path) as image:
        assert image.height > image.width / 3 * 1.5, "two rows of three panels"

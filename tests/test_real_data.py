"""The pipeline on the Kazakh ornament data set named by ORNAMENTS_REAL_DATA.

The folder contains 217 RGBA PNGs in Flora (60), Geo (74) and Zoo (83): red
motifs on a transparent background whose hidden colour is black, and one
byte-identical pair, Geo/geo_032.png and Geo/geo_032-1.png.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from conftest import tiny_params

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

COUNTS = {"Flora": 60, "Geo": 74, "Zoo": 83}
DUPLICATES = {"Geo/geo_032.png", "Geo/geo_032-1.png"}


def test_real_data_pipeline(repo, real_data):
    params = tiny_params(data__dir=str(real_data), data__image_size=96)
    params["train"]["epochs"] = 2
    repo.write_params(params)
    repo.dvc("repro")

    report = json.loads((repo.path / "metrics/data.json").read_text(encoding="utf-8"))
    assert report["images"] == 217
    assert {label: counts["total"] for label, counts in report["classes"].items()} == COUNTS
    assert report["skipped_total"] == 0
    assert report["duplicate_groups"] == 1
    for label, counts in report["classes"].items():
        assert counts["test"] >= 8, f"class {label} has too few test images"

    with (repo.path / "data/prepared/manifest.csv").open(encoding="utf-8") as stream:
        rows = {row["path"]: row for row in csv.DictReader(stream)}
    assert len({rows[path]["split"] for path in DUPLICATES}) == 1, "the duplicate pair crossed splits"
    assert all(row["has_alpha"] == "1" for row in rows.values())

    # Transparent corners composite to the white background, not the hidden black.
    pixels = np.load(repo.path / "data/prepared/images.npy")
    assert (pixels[:, 0, 0] == 255).all()

    test_images = sum(counts["test"] for counts in report["classes"].values())
    for name in ("baseline", "resnet18", "vit_b_16"):
        scores = json.loads((repo.path / f"metrics/{name}.json").read_text(encoding="utf-8"))
        assert scores["test_images"] == test_images
        assert set(scores["per_class"]) == set(COUNTS)
    baseline = json.loads((repo.path / "metrics/baseline.json").read_text(encoding="utf-8"))
    assert baseline["per_class"]["Zoo"]["recall"] == 1.0, "the majority class of the training split is Zoo"
    for name in ("resnet18", "vit_b_16"):
        for label in COUNTS:
            assert (repo.path / f"plots/{name}/gradcam/{label}.png").is_file()
    assert "217 images" in (repo.path / "reports/report.md").read_text(encoding="utf-8")

"""intake.scan on a generated hostile folder and on small folders for each error."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from hostile import PLANT, RAMS_HORN_NFC, RAMS_HORN_NFD, make_hostile_folder, pattern, png_bytes
from ornaments import intake
from ornaments.intake import DataError

BACKGROUND = (0, 128, 255)
SIZE = 16

EXPECTED_REPORT = {
    "images": 27,
    "classes": {"Flora": 7, "Geo": 7, "Zoo": 6, RAMS_HORN_NFC: 4, PLANT: 3},
    "skipped_total": 12,
    "skipped": {
        "empty file": 1,
        "file outside a class folder": 1,
        "hidden or system entry": 7,
        "not an image": 1,
        "too large": 1,
        "truncated or corrupt": 1,
    },
    "duplicate_groups": 1,
    "duplicate_extra_copies": 1,
    "label_conflicts": 0,
    "notes": {
        "CMYK converted to RGB": 1,
        "EXIF orientation applied": 1,
        "extension does not match content": 1,
        "first frame used": 1,
        "scaled to 8 bits": 1,
    },
}

# In the order of Intake.skipped: sorted by path, by code point.
TRUNCATED = "Geo/truncated.png"
EXPECTED_SKIPPED = [
    {"path": ".DS_Store", "reason": "hidden or system entry"},
    {"path": "Flora/.DS_Store", "reason": "hidden or system entry"},
    {"path": "Flora/._flora_1.png", "reason": "hidden or system entry"},
    {"path": "Flora/empty.png", "reason": "empty file"},
    {"path": "Geo/.ipynb_checkpoints", "reason": "hidden or system entry"},
    {"path": "Geo/Thumbs.db", "reason": "hidden or system entry"},
    {"path": TRUNCATED, "reason": "truncated or corrupt"},
    {"path": "Zoo/desktop.ini", "reason": "hidden or system entry"},
    {"path": "Zoo/huge.png", "reason": "too large: more than data.max_pixels (10000) pixels"},
    {"path": "Zoo/readme.txt", "reason": "not an image"},
    {"path": "__MACOSX", "reason": "hidden or system entry"},
    {"path": "stray.png", "reason": "file outside a class folder"},
]

EXPECTED_NOTES = [
    {"path": "Flora/anim.gif", "notes": ["first frame used: 3 frames"]},
    {"path": "Geo/gray16.png", "notes": ["scaled to 8 bits: I;16 samples"]},
    {"path": "Geo/lying.jpg", "notes": ["extension does not match content: .jpg file contains PNG data"]},
    {"path": "Zoo/cmyk.jpg", "notes": ["CMYK converted to RGB"]},
    {"path": "Zoo/rotated.jpg", "notes": ["EXIF orientation applied: 6"]},
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return make_hostile_folder(tmp_path_factory.mktemp("hostile") / "data")


@pytest.fixture(scope="module")
def scanned(hostile):
    return intake.scan(hostile.root, SIZE, BACKGROUND, hostile.max_pixels, "error")


def by_path(found: intake.Intake) -> dict[str, intake.Image]:
    return {image.path: image for image in found.images}


def save(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pattern(seed).save(path)


def test_scan_report(scanned):
    assert scanned.report() == EXPECTED_REPORT


def test_scan_skipped(scanned):
    skipped = scanned.details()["skipped"]
    # Pillow's message after "truncated or corrupt: " varies by release, so it
    # is cut here and checked in test_scan_truncated_detail.
    for entry in skipped:
        if entry["path"] == TRUNCATED:
            entry["reason"] = entry["reason"].split(":", 1)[0]

    assert skipped == EXPECTED_SKIPPED


def test_scan_truncated_detail(scanned):
    reasons = dict(scanned.skipped)

    assert re.fullmatch(r"truncated or corrupt: \S.*", reasons[TRUNCATED])


def test_scan_notes(scanned):
    assert scanned.details()["notes"] == EXPECTED_NOTES


def test_scan_classes(scanned):
    assert scanned.classes == ["Flora", "Geo", "Zoo", RAMS_HORN_NFC, PLANT]


def test_scan_labels_nested(scanned):
    images = by_path(scanned)

    assert images["Flora/nested/deeper/flora_4.png"].label == "Flora"


def test_scan_non_ascii_names(scanned):
    images = by_path(scanned)

    assert images[f"{PLANT}/сурет 1.png"].label == PLANT
    assert images[f"{PLANT}/өрнек-2.png"].label == PLANT
    assert images[f"{PLANT}/Гүл.jpeg"].label == PLANT


def test_scan_paths_on_disk(scanned, hostile):
    # Image.path is the name on disk, so later stages can open the file again.
    for image in scanned.images:
        assert (hostile.root / image.path).is_file(), image.path


def test_scan_duplicate_group(scanned):
    images = by_path(scanned)
    groups = [image.group for image in scanned.images]

    assert images["Geo/copy_a.png"].group == images["Geo/copy_b.png"].group
    assert len(set(groups)) == len(groups) - 1


def test_scan_alpha(scanned):
    with_alpha = sorted(image.path for image in scanned.images if image.has_alpha)

    assert with_alpha == ["Flora/la.png", "Flora/palette.png"]


def test_scan_mask(scanned):
    images = by_path(scanned)
    palette = images["Flora/palette.png"]
    plain = images["Flora/flora_1.png"]

    # 32 x 24 letterboxed into 16 x 16 is 16 x 12 at rows 2 to 13. The red
    # square (rows 6-17, columns 8-23) lands at rows 5-10, columns 4-11, and
    # Lanczos resampling may leave its centre a little under 255.
    assert palette.mask.shape == (SIZE, SIZE)
    assert (palette.mask[:2] == 0).all()
    assert palette.mask[7, 8] >= 250
    assert palette.mask[3, 1] == 0
    assert (plain.mask[2:14] == 255).all()
    assert (plain.mask[:2] == 0).all()
    assert (plain.mask[14:] == 0).all()


def test_scan_pixels(scanned):
    images = by_path(scanned)
    palette = images["Flora/palette.png"]

    assert palette.pixels.shape == (SIZE, SIZE, 3)
    assert palette.pixels.dtype == np.uint8
    # Letterbox padding and transparent pixels both show the background.
    assert (palette.pixels[0] == BACKGROUND).all()
    assert (palette.pixels[3, 1] == BACKGROUND).all()
    assert palette.pixels[7, 8, 0] >= 250
    assert palette.pixels[7, 8, 1] <= 5
    assert palette.pixels[7, 8, 2] <= 5


def test_scan_rotated_size(scanned):
    images = by_path(scanned)

    assert images["Zoo/rotated.jpg"].width == 24
    assert images["Zoo/rotated.jpg"].height == 40


def test_scan_merged_classes(scanned, hostile):
    if not hostile.separate_nfd_nfc:
        pytest.skip("this file system stores the NFD and NFC spellings of a folder name as one folder")

    assert scanned.merged_classes == {RAMS_HORN_NFC: [RAMS_HORN_NFD, RAMS_HORN_NFC]}
    assert scanned.details()["merged_class_folders"] == {RAMS_HORN_NFC: [RAMS_HORN_NFD, RAMS_HORN_NFC]}


def test_scan_nfd_images(scanned):
    labels = {image.path.split("/", 1)[1]: image.label for image in scanned.images}

    for name in ("nfc_1.png", "nfc_2.png", "nfd_1.png", "nfd_2.png"):
        assert labels[name] == RAMS_HORN_NFC, name


def write_conflict(root: Path) -> None:
    """Write classes A and B, each with one own image, and one picture filed under both."""
    save(root / "A" / "own_a.png", 1)
    save(root / "B" / "own_b.png", 2)
    shared = png_bytes(pattern(3))
    (root / "A" / "shared.png").write_bytes(shared)
    (root / "B" / "shared_copy.png").write_bytes(shared)


def test_conflict_error(tmp_path: Path):
    write_conflict(tmp_path)

    with pytest.raises(DataError) as error:
        intake.scan(tmp_path, SIZE, BACKGROUND, 10_000, "error")

    assert "A/shared.png" in str(error.value)
    assert "B/shared_copy.png" in str(error.value)
    assert "data.label_conflicts" in str(error.value)


def test_conflict_drop(tmp_path: Path):
    write_conflict(tmp_path)

    found = intake.scan(tmp_path, SIZE, BACKGROUND, 10_000, "drop")

    assert sorted(image.path for image in found.images) == ["A/own_a.png", "B/own_b.png"]
    assert found.skipped == [
        ("A/shared.png", "label conflict: same image in classes A, B"),
        ("B/shared_copy.png", "label conflict: same image in classes A, B"),
    ]
    assert found.label_conflicts == 1
    assert found.report()["skipped"] == {"label conflict": 2}
    assert found.report()["label_conflicts"] == 1


def test_conflict_keep(tmp_path: Path):
    write_conflict(tmp_path)

    found = intake.scan(tmp_path, SIZE, BACKGROUND, 10_000, "keep")
    images = by_path(found)

    assert len(found.images) == 4
    assert images["A/shared.png"].label == "A"
    assert images["B/shared_copy.png"].label == "B"
    assert images["A/shared.png"].group == images["B/shared_copy.png"].group
    assert images["A/own_a.png"].group != images["B/own_b.png"].group
    assert found.skipped == []
    assert found.label_conflicts == 1


def test_scan_empty_class(tmp_path: Path):
    save(tmp_path / "Full" / "one.png", 1)
    (tmp_path / "Hollow").mkdir()

    with pytest.raises(DataError) as error:
        intake.scan(tmp_path, SIZE, BACKGROUND, 10_000)

    assert "'Hollow'" in str(error.value)


def test_scan_unusable_class(tmp_path: Path):
    # A class whose files are all skipped is empty too, and the message lists the skips.
    save(tmp_path / "Full" / "one.png", 1)
    (tmp_path / "Broken").mkdir()
    (tmp_path / "Broken" / "empty.png").write_bytes(b"")
    (tmp_path / "Broken" / ".DS_Store").write_bytes(b"\x00")

    with pytest.raises(DataError) as error:
        intake.scan(tmp_path, SIZE, BACKGROUND, 10_000)

    assert "'Broken'" in str(error.value)
    assert "Broken/empty.png (empty file)" in str(error.value)


def test_scan_missing_folder(tmp_path: Path):
    missing = tmp_path / "no_such_folder"

    with pytest.raises(DataError) as error:
        intake.scan(missing, SIZE, BACKGROUND, 10_000)

    assert str(missing) in str(error.value)


def test_scan_no_class_folders(tmp_path: Path):
    save(tmp_path / "loose.png", 1)

    with pytest.raises(DataError) as error:
        intake.scan(tmp_path, SIZE, BACKGROUND, 10_000)

    assert "no class folders" in str(error.value)


def test_scan_deterministic(hostile, scanned):
    again = intake.scan(hostile.root, SIZE, BACKGROUND, hostile.max_pixels, "error")

    assert [image.path for image in again.images] == [image.path for image in scanned.images]
    assert [image.group for image in again.images] == [image.group for image in scanned.images]
    assert again.skipped == scanned.skipped

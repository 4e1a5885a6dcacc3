"""Index an image folder in ImageFolder layout, with every skip counted.

The first-level subfolders are the classes; images in deeper folders belong
to their first-level folder. Class names are Unicode-normalised (NFC), so a
name typed on macOS (NFD) and on Windows (NFC) is one class.
"""

from __future__ import annotations

import os
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError
from .images import SkipImage, decode, letterbox
from .progress import log

# Entries that file managers, archivers and notebooks leave behind.
SYSTEM_NAMES = {"thumbs.db", "ehthumbs.db", "desktop.ini", "__macosx", "$recycle.bin", "icon\r"}

HIDDEN = "hidden or system entry"
OUTSIDE_CLASS = "file outside a class folder"
LABEL_CONFLICT = "label conflict"


@dataclass
class Image:
    path: str  # relative to the data folder, as on disk, with "/" separators
    label: str  # NFC class name
    width: int
    height: int
    pixel_hash: str
    pixels: np.ndarray  # size x size x 3 uint8, letterboxed onto the background
    mask: np.ndarray  # size x size uint8 alpha, 255 everywhere without transparency
    has_alpha: bool
    notes: list[str] = field(default_factory=list)
    group: int = -1  # images with the same pixels share a group


@dataclass
class Intake:
    images: list[Image]
    classes: list[str]
    skipped: list[tuple[str, str]]  # (path, reason)
    merged_classes: dict[str, list[str]]  # NFC name -> folder names that were merged
    label_conflicts: int = 0  # pictures found under more than one class

    def report(self) -> dict:
        """Return the counts and lists for the data report."""
        reasons = Counter(_reason_kind(reason) for _, reason in self.skipped)
        groups = Counter(image.group for image in self.images)
        notes = Counter(_reason_kind(note) for image in self.images for note in image.notes)
        return {
            "images": len(self.images),
            "classes": {name: sum(image.label == name for image in self.images) for name in self.classes},
            "skipped_total": len(self.skipped),
            "skipped": dict(sorted(reasons.items())),
            "duplicate_groups": sum(1 for count in groups.values() if count > 1),
            "duplicate_extra_copies": sum(count - 1 for count in groups.values()),
            "label_conflicts": self.label_conflicts,
            "notes": dict(sorted(notes.items())),
        }

    def details(self) -> dict:
        """Return every skipped file, noted file and merged class folder by name."""
        return {
            "skipped": [{"path": path, "reason": reason} for path, reason in self.skipped],
            "notes": [
                {"path": image.path, "notes": image.notes} for image in self.images if image.notes
            ],
            "merged_class_folders": self.merged_classes,
        }


def _reason_kind(reason: str) -> str:
    """Return the reason without its detail after the colon: 'truncated or corrupt: ...' -> 'truncated or corrupt'."""
    return reason.split(":", 1)[0]


def is_hidden(name: str) -> bool:
    """Tell whether a file or folder name is a hidden or system entry."""
    return name.startswith(".") or name.lower() in SYSTEM_NAMES


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def scan(
    root: str | Path,
    size: int,
    background: tuple[int, int, int],
    max_pixels: int,
    label_conflicts: str = "error",
) -> Intake:
    """Decode every image under `root` into `size` squares and group identical pictures."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(
            f"data folder not found: {root}. Set data.dir in params.yaml to a folder with one "
            "subfolder per class, or run `dvc repro` with the default data/demo. If the folder is tracked "
            "by DVC, run `dvc pull`; to track a new folder, copy it into data/ and run `dvc add`."
        )
    skipped: list[tuple[str, str]] = []
    folders: dict[str, list[Path]] = defaultdict(list)
    # The raw name breaks ties between NFC and NFD spellings, so merged folders are
    # listed in the same order on every file system.
    for entry in sorted(root.iterdir(), key=lambda item: (_nfc(item.name), item.name)):
        if is_hidden(entry.name):
            skipped.append((_nfc(_relative(entry, root)), HIDDEN))
        elif entry.is_dir():
            folders[_nfc(entry.name)].append(entry)
        else:
            skipped.append((_nfc(_relative(entry, root)), OUTSIDE_CLASS))
    if not folders:
        raise DataError(f"no class folders in {root}: put the images of each class in a subfolder named after the class")
    merged = {name: [path.name for path in paths] for name, paths in folders.items() if len(paths) > 1}

    files: list[tuple[str, Path]] = []
    for label, paths in folders.items():
        for folder in paths:
            for current, dirs, names in os.walk(folder):
                current_path = Path(current)
                for name in sorted(dirs):
                    if is_hidden(name):
                        skipped.append((_nfc(_relative(current_path / name, root)), HIDDEN))
                dirs[:] = sorted(name for name in dirs if not is_hidden(name))
                for name in names:
                    path = current_path / name
                    if is_hidden(name):
                        skipped.append((_nfc(_relative(path, root)), HIDDEN))
                    else:
                        files.append((label, path))
    files.sort(key=lambda item: (item[0], _nfc(_relative(item[1], root))))

    images: list[Image] = []
    for number, (label, path) in enumerate(files, start=1):
        relative = _relative(path, root)
        try:
            decoded = decode(path, background, max_pixels)
        except SkipImage as skip:
            skipped.append((_nfc(relative), str(skip)))
            continue
        width, height = decoded.size
        alpha = decoded.alpha
        mask = letterbox(alpha, size, 0) if alpha is not None else letterbox(
            np.full((height, width), 255, np.uint8), size, 0
        )
        images.append(
            Image(
                path=relative,
                label=label,
                width=width,
                height=height,
                pixel_hash=decoded.pixel_hash(),
                pixels=letterbox(decoded.rgb, size, tuple(background)),
                mask=mask,
                has_alpha=alpha is not None,
                notes=decoded.notes,
            )
        )
        if number % 50 == 0 or number == len(files):
            log(f"decoded {number}/{len(files)} files")

    images, conflicts = _group_duplicates(images, skipped, label_conflicts)
    skipped.sort()
    classes = sorted(folders)
    empty = [name for name in classes if not any(image.label == name for image in images)]
    if empty:
        raise DataError(
            f"class folder {empty[0]!r} in {root} contains no usable image; add images or remove the folder"
            + _skip_hint(skipped, empty[0])
        )
    return Intake(
        images=images, classes=classes, skipped=skipped, merged_classes=merged, label_conflicts=conflicts
    )


def _skip_hint(skipped: list[tuple[str, str]], label: str) -> str:
    mine = [f"{path} ({reason})" for path, reason in skipped if _nfc(path).split("/", 1)[0] == label]
    if not mine:
        return ""
    return "; skipped there: " + ", ".join(mine[:5]) + (" ..." if len(mine) > 5 else "")


def _group_duplicates(
    images: list[Image], skipped: list[tuple[str, str]], policy: str
) -> tuple[list[Image], int]:
    """Give identical pictures one group id, and apply `policy` to pictures filed under two classes."""
    by_hash: dict[str, list[Image]] = defaultdict(list)
    for image in images:
        by_hash[image.pixel_hash].append(image)
    conflicts = [group for group in by_hash.values() if len({image.label for image in group}) > 1]
    if conflicts and policy == "error":
        listed = "; ".join(" = ".join(image.path for image in group) for group in conflicts[:5])
        raise DataError(
            f"{len(conflicts)} image(s) appear in more than one class: {listed}. "
            "Remove the wrong copies, or set data.label_conflicts to drop (exclude every copy) "
            "or keep (keep each label, in one split)."
        )
    dropped = set()
    if policy == "drop":
        for group in conflicts:
            classes = ", ".join(sorted({image.label for image in group}))
            for image in group:
                skipped.append((_nfc(image.path), f"{LABEL_CONFLICT}: same image in classes {classes}"))
                dropped.add(id(image))
    remaining = [image for image in images if id(image) not in dropped]
    group_ids = {digest: number for number, digest in enumerate(dict.fromkeys(image.pixel_hash for image in remaining))}
    for image in remaining:
        image.group = group_ids[image.pixel_hash]
    return remaining, len(conflicts)

"""Atomic file writes and the prepared-data format shared by the stages.

Every output is written under a temporary name in its own folder and renamed
into place, so a stage killed mid-write leaves the old file or none, never a
half-written one.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import MissingOutputError

MANIFEST_FIELDS = ("index", "path", "label", "split", "group", "width", "height", "has_alpha", "pixel_hash")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# mkstemp and mkdtemp create owner-only entries; outputs get the usual permissions instead.
_FILE_MODE = 0o666 & ~_umask()
_DIR_MODE = 0o777 & ~_umask()


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(temporary)
    try:
        yield temporary
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; it replaces `path` when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield temporary
        os.chmod(temporary, _DIR_MODE)
        if path.exists():
            shutil.rmtree(path)
        os.replace(temporary, path)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json(path: str | Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise MissingOutputError(f"{path} not found; run `dvc repro` to create it")
    return json.loads(path.read_text(encoding="utf-8"))


def save_array(path: str | Path, array: np.ndarray) -> None:
    with atomic_path(path) as temporary:
        with temporary.open("wb") as stream:
            np.save(stream, array)


def write_csv(path: str | Path, rows: list[dict[str, Any]], fields: tuple[str, ...]) -> None:
    with atomic_path(path) as temporary:
        with temporary.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def read_csv(path: str | Path) -> list[dict[str, str]]:
    path = Path(path)
    if not path.is_file():
        raise MissingOutputError(f"{path} not found; run `dvc repro` to create it")
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@dataclass
class Prepared:
    """The decoded, letterboxed images of a prepared data folder and their manifest."""

    classes: list[str]
    rows: list[dict[str, str]]
    pixels: np.ndarray  # N x S x S x 3 uint8
    masks: np.ndarray  # N x S x S uint8

    @property
    def labels(self) -> np.ndarray:
        index = {name: number for number, name in enumerate(self.classes)}
        return np.array([index[row["label"]] for row in self.rows], dtype=np.int64)

    def indices(self, split: str) -> np.ndarray:
        return np.array([number for number, row in enumerate(self.rows) if row["split"] == split], dtype=np.int64)


def load_prepared(folder: str | Path, mmap: bool = True) -> Prepared:
    """Read what the prepare stage wrote to `folder`."""
    folder = Path(folder)
    if not (folder / "manifest.csv").is_file():
        raise MissingOutputError(f"{folder}/manifest.csv not found; run `dvc repro prepare` first")
    mode = "r" if mmap else None
    return Prepared(
        classes=read_json(folder / "classes.json"),
        rows=read_csv(folder / "manifest.csv"),
        pixels=np.load(folder / "images.npy", mmap_mode=mode),
        masks=np.load(folder / "masks.npy", mmap_mode=mode),
    )


@dataclass
class Augmented:
    """The training images plus their augmented copies, as the augment stage wrote them."""

    pixels: np.ndarray  # M x S x S x 3 uint8
    masks: np.ndarray  # M x S x S uint8
    labels: np.ndarray  # M class indices
    sources: np.ndarray  # M manifest indices of the source images (all in the train split)


def load_augmented(folder: str | Path) -> Augmented:
    """Read what the augment stage wrote to `folder`."""
    folder = Path(folder)
    names = ("images", "masks", "labels", "sources")
    missing = [name for name in names if not (folder / f"{name}.npy").is_file()]
    if missing:
        raise MissingOutputError(f"{folder}/{missing[0]}.npy not found; run `dvc repro augment` first")
    arrays = [np.load(folder / f"{name}.npy") for name in names]
    return Augmented(*arrays)

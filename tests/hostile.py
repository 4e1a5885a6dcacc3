"""Generate a "hostile" image folder with everything a real collection contains.

Besides clean images in several classes, the folder has system and hidden
entries, broken and mislabelled files, unusual pixel formats, a duplicate
pair, an over-large image, a file outside the class folders, and non-ASCII
class and file names. The expected scan result is asserted in test_intake.py.
"""

from __future__ import annotations

import io
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# Scan with this max_pixels: every image is 32 x 24 (768 pixels) or 40 x 24,
# except Zoo/huge.png (120 x 100 = 12000 pixels).
MAX_PIXELS = 10_000

# "Қошқар мүйіз" (ram's horn, a Kazakh ornament) changes under NFD because
# "й" decomposes into "и" and a combining breve.
RAMS_HORN_NFC = unicodedata.normalize("NFC", "Қошқар мүйіз")
RAMS_HORN_NFD = unicodedata.normalize("NFD", "Қошқар мүйіз")
# "Өсімдік" (plant) has no decomposable letter, so NFC and NFD spell it alike.
PLANT = "Өсімдік"


@dataclass
class HostileFolder:
    root: Path
    max_pixels: int
    # False where the file system stores the NFD and NFC spellings of one
    # folder name as the same folder (APFS and HFS+ on macOS do).
    separate_nfd_nfc: bool


def pattern(seed: int, width: int = 32, height: int = 24, mode: str = "RGB") -> Image.Image:
    """Return an image of 8 x 6 random colour blocks: a different picture for every seed."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(blocks).resize((width, height), Image.Resampling.NEAREST)
    return image.convert(mode)


def png_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def truncated_png(seed: int) -> bytes:
    """Return the first half of a PNG of random noise: the header is intact, the pixel data is cut."""
    rng = np.random.default_rng(seed)
    noise = Image.fromarray(rng.integers(0, 256, size=(24, 32, 3), dtype=np.uint8))
    data = png_bytes(noise)
    return data[: len(data) // 2]


def palette_with_transparency() -> Image.Image:
    """Return a P image whose index 0 is transparent (a tRNS chunk in PNG), with a red square on it."""
    indices = np.zeros((24, 32), dtype=np.uint8)
    indices[6:18, 8:24] = 1
    image = Image.fromarray(indices, mode="P")
    image.putpalette([0, 0, 0, 255, 0, 0] + [0, 0, 0] * 254)
    image.info["transparency"] = 0
    return image


def luminance_alpha() -> Image.Image:
    """Return an LA image: gray 200 where opaque (the left half), black under full transparency."""
    gray = np.zeros((24, 32), dtype=np.uint8)
    alpha = np.zeros((24, 32), dtype=np.uint8)
    gray[:, :16] = 200
    alpha[:, :16] = 255
    return Image.merge("LA", (Image.fromarray(gray), Image.fromarray(alpha)))


def gray16() -> Image.Image:
    """Return a 16-bit grayscale ("I;16") gradient that uses the full 0..65535 range."""
    values = np.linspace(0, 65535, 32 * 24).round().astype(np.uint16).reshape(24, 32)
    return Image.fromarray(values)


def exif_rotated_jpeg(orientation: int = 6) -> bytes:
    """Return a 40 x 24 JPEG, red in its top-left 20 x 12 quarter, with the EXIF Orientation tag set."""
    pixels = np.zeros((24, 40, 3), dtype=np.uint8)
    pixels[:12, :20] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def cmyk_jpeg() -> bytes:
    """Return a CMYK JPEG in pure red (C=0, M=255, Y=255, K=0)."""
    buffer = io.BytesIO()
    Image.new("CMYK", (32, 24), (0, 255, 255, 0)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def animated_gif() -> bytes:
    """Return a 3-frame GIF: the first frame red on its left half and blue on its right, then green, then blue."""
    frames = []
    for index in range(3):
        frame = Image.new("P", (32, 24), index)
        if index == 0:
            frame.paste(2, (16, 0, 32, 24))
        frame.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0, 0, 0] * 253)
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _save(path: Path, image: Image.Image, **options) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)


def make_hostile_folder(root: Path) -> HostileFolder:
    """Write the hostile folder to `root`, which must not exist yet."""
    root.mkdir(parents=True)

    # Entries at the top level: system files, an archiver folder and a stray image.
    _write(root / ".DS_Store", b"\x00\x00\x00\x01Bud1")
    _write(root / "__MACOSX" / "Flora" / "._flora_1.png", b"\x00\x05\x16\x07AppleDouble")
    _save(root / "stray.png", pattern(1))

    flora = root / "Flora"
    for number in (1, 2, 3):
        _save(flora / f"flora_{number}.png", pattern(100 + number))
    _save(flora / "nested" / "deeper" / "flora_4.png", pattern(104))
    _save(flora / "palette.png", palette_with_transparency())
    _save(flora / "la.png", luminance_alpha())
    _write(flora / "anim.gif", animated_gif())
    _write(flora / ".DS_Store", b"\x00\x00\x00\x01Bud1")
    _write(flora / "._flora_1.png", b"\x00\x05\x16\x07AppleDouble")
    _write(flora / "empty.png", b"")

    geo = root / "Geo"
    for number in (1, 2, 3):
        _save(geo / f"geo_{number}.png", pattern(200 + number))
    _save(geo / ".ipynb_checkpoints" / "geo_1-checkpoint.png", pattern(201))
    _write(geo / "Thumbs.db", b"\xd0\xcf\x11\xe0thumbnail cache")
    _write(geo / "truncated.png", truncated_png(205))
    _save(geo / "gray16.png", gray16())
    duplicate = png_bytes(pattern(206))
    _write(geo / "copy_a.png", duplicate)
    _write(geo / "copy_b.png", duplicate)
    _write(geo / "lying.jpg", png_bytes(pattern(207)))

    zoo = root / "Zoo"
    _save(zoo / "zoo_1.png", pattern(301))
    _save(zoo / "zoo_2.jpg", pattern(302), quality=95)
    _save(zoo / "zoo_3.bmp", pattern(303))
    _save(zoo / "UPPER.PNG", pattern(304))
    _write(zoo / "cmyk.jpg", cmyk_jpeg())
    _write(zoo / "rotated.jpg", exif_rotated_jpeg(6))
    _save(zoo / "huge.png", pattern(305, width=120, height=100))
    _write(zoo / "desktop.ini", b"[.ShellClassInfo]\r\nIconResource=C:\\icon.ico\r\n")
    (zoo / "readme.txt").write_text("Photographed in 2019, scanned at 300 dpi.\n", encoding="utf-8")

    # One class in two folders whose names differ only in Unicode normal form.
    _save(root / RAMS_HORN_NFC / "nfc_1.png", pattern(401))
    _save(root / RAMS_HORN_NFC / "nfc_2.png", pattern(402))
    (root / RAMS_HORN_NFD).mkdir(exist_ok=True)
    _save(root / RAMS_HORN_NFD / "nfd_1.png", pattern(403))
    _save(root / RAMS_HORN_NFD / "nfd_2.png", pattern(404))
    names = os.listdir(root)
    separate = RAMS_HORN_NFC in names and RAMS_HORN_NFD in names

    plant = root / PLANT
    _save(plant / "сурет 1.png", pattern(501))
    _save(plant / "өрнек-2.png", pattern(502))
    _save(plant / "Гүл.jpeg", pattern(503), quality=95)

    return HostileFolder(root=root, max_pixels=MAX_PIXELS, separate_nfd_nfc=separate)

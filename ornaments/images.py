"""Decode any image Pillow reads into one RGB form.

Every image goes through `decode`: EXIF orientation applied, first frame of
an animation, 16-bit and float samples scaled to 8 bits, and transparency
(RGBA, LA, palette or tRNS transparency) composited onto one background
colour. The alpha channel is kept as the motif mask.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError


class SkipImage(Exception):
    """A file that cannot be used, with the reason as its message."""


@dataclass
class Decoded:
    rgb: np.ndarray  # H x W x 3 uint8, composited onto the background
    alpha: np.ndarray | None  # H x W uint8, None when the image has no transparency
    format: str
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        """Width and height."""
        return self.rgb.shape[1], self.rgb.shape[0]

    def pixel_hash(self) -> str:
        """Hash of the decoded pixels: equal for the same picture in any file format."""
        digest = hashlib.sha256()
        digest.update(np.asarray(self.rgb.shape, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(self.rgb).tobytes())
        if self.alpha is not None:
            digest.update(np.ascontiguousarray(self.alpha).tobytes())
        return digest.hexdigest()


_EXTENSIONS = Image.registered_extensions()  # ".png" -> "PNG"
# Pillow reads some formats under more than one name.
_SAME_FORMAT = {"MPO": "JPEG"}


def _scaled_to_8bit(image: Image.Image) -> Image.Image:
    """Scale 16-bit, 32-bit integer and float grayscale to an 8-bit L image.

    16-bit samples are divided by 257 (65535 -> 255). 32-bit integer samples
    that fit in 16 bits are treated the same way. Wider ones are scaled so the
    largest sample becomes 255, because their full 32-bit range would leave
    most pictures black.
    """
    values = np.asarray(image)
    if image.mode == "F":
        values = values.astype(np.float64)
        finite = values[np.isfinite(values)]
        top = float(finite.max()) if finite.size else 0.0
        scale = 255.0 if top <= 1.0 else 1.0
        values = np.nan_to_num(values, nan=0.0, posinf=255.0 / scale, neginf=0.0) * scale
    else:
        values = values.astype(np.float64)
        top = values.max(initial=0)
        if top > 65535:
            values = values * (255.0 / top)
        elif image.mode.startswith("I;16") or top > 255:
            values = values / 257.0
        # NOTE: "I" samples that all lie in 0..255 are kept as 8-bit values, so a
        # very dark 16-bit picture held in "I" mode comes out brighter than it is.
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")


def _to_rgba_or_rgb(image: Image.Image, notes: list[str]) -> Image.Image:
    mode = image.mode
    if mode in ("RGB", "RGBA"):
        pass
    elif mode == "1":
        image = image.convert("L")
    elif mode.startswith("I") or mode == "F":
        transparent = image.info.get("transparency")
        scaled = _scaled_to_8bit(image)
        notes.append(f"scaled to 8 bits: {mode} samples")
        if isinstance(transparent, int):
            # A grayscale tRNS value is a sample value, so match it before scaling.
            alpha = np.where(np.asarray(image) == transparent, 0, 255).astype(np.uint8)
            scaled = Image.merge("RGBA", (scaled, scaled, scaled, Image.fromarray(alpha)))
        image = scaled
    elif mode in ("LA", "La", "PA", "RGBa"):
        image = image.convert("RGBA")
    elif mode == "CMYK":
        image = image.convert("RGB")
        notes.append("CMYK converted to RGB")
    if image.mode == "P" or "transparency" in image.info:
        # Palette or tRNS transparency becomes a real alpha channel.
        has_transparency = "transparency" in image.info
        image = image.convert("RGBA" if has_transparency else "RGB")
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    return image


def decode(
    path: str | Path,
    background: tuple[int, int, int] = (255, 255, 255),
    max_pixels: int = 100_000_000,
) -> Decoded:
    """Decode one file, or raise SkipImage with the reason it is unusable."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise SkipImage(f"unreadable: {error.strerror or error}") from None
    if size == 0:
        raise SkipImage("empty file")
    notes: list[str] = []
    previous_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                width, height = opened.size
                if width * height > max_pixels:
                    raise SkipImage(f"too large: {width}x{height} pixels, data.max_pixels is {max_pixels}")
                frames = getattr(opened, "n_frames", 1)
                if frames > 1:
                    notes.append(f"first frame used: {frames} frames")
                opened.load()
                image_format = opened.format or "unknown"
                orientation = opened.getexif().get(0x0112, 1)  # the EXIF Orientation tag
                oriented = ImageOps.exif_transpose(opened)
                # Only values 2 to 8 rotate or flip. Value 1 is upright, and exif_transpose ignores invalid values.
                if orientation in range(2, 9):
                    notes.append(f"EXIF orientation applied: {orientation}")
                image = _to_rgba_or_rgb(oriented, notes)
    except SkipImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SkipImage(f"too large: more than data.max_pixels ({max_pixels}) pixels") from None
    except UnidentifiedImageError:
        raise SkipImage("not an image") from None
    except PermissionError as error:
        raise SkipImage(f"unreadable: {error.strerror}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise SkipImage(f"truncated or corrupt: {error}") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous_limit

    expected = _EXTENSIONS.get(path.suffix.lower())
    if _SAME_FORMAT.get(image_format, image_format) != _SAME_FORMAT.get(expected, expected):
        notes.append(f"extension does not match content: {path.suffix or '(none)'} file contains {image_format} data")

    alpha = None
    if image.mode == "RGBA" and image.getextrema()[3][0] < 255:
        alpha = np.asarray(image.getchannel("A")).copy()
        base = Image.new("RGBA", image.size, tuple(background) + (255,))
        image = Image.alpha_composite(base, image).convert("RGB")
    else:
        # A fully opaque alpha channel is no transparency: drop it, so the picture
        # hashes like its RGB copy and gets no motif mask.
        image = image.convert("RGB")
    rgb = np.asarray(image, dtype=np.uint8).copy()
    return Decoded(rgb=rgb, alpha=alpha, format=image_format, notes=notes)


@dataclass(frozen=True)
class Placement:
    """Position of a `width` x `height` image inside its square letterbox of side `size`."""

    width: int
    height: int
    size: int

    @property
    def scale(self) -> float:
        return self.size / max(self.width, self.height)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Left, top, right and bottom of the image inside the square, in pixels."""
        inner_w = max(1, round(self.width * self.scale))
        inner_h = max(1, round(self.height * self.scale))
        left = (self.size - inner_w) // 2
        top = (self.size - inner_h) // 2
        return left, top, left + inner_w, top + inner_h


def letterbox(pixels: np.ndarray, size: int, fill: int | tuple[int, ...]) -> np.ndarray:
    """Resize to fit a `size` square, keeping the aspect ratio, and pad with `fill`."""
    height, width = pixels.shape[:2]
    placement = Placement(width, height, size)
    left, top, right, bottom = placement.box
    resized = Image.fromarray(pixels).resize((right - left, bottom - top), Image.Resampling.LANCZOS)
    shape = (size, size) + pixels.shape[2:]
    square = np.empty(shape, dtype=np.uint8)
    square[...] = fill
    square[top:bottom, left:right] = np.asarray(resized)
    return square


def unletterbox(square_map: np.ndarray, width: int, height: int) -> np.ndarray:
    """Crop a float map over the letterbox square back to the image and resize it to width x height."""
    size = square_map.shape[0]
    left, top, right, bottom = Placement(width, height, size).box
    inner = square_map[top:bottom, left:right].astype(np.float32)
    resized = Image.fromarray(inner, mode="F").resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(resized)

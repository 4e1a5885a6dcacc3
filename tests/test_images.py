"""images.decode, letterbox and unletterbox on real files written with Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hostile import animated_gif, cmyk_jpeg, exif_rotated_jpeg, pattern, truncated_png
from ornaments import images
from ornaments.images import SkipImage

# Not white, so a result that ignores the background (white or black) fails.
BACKGROUND = (0, 128, 255)
RED = (255, 0, 0)


def red_motif_rgba() -> Image.Image:
    """Return a 20 x 10 RGBA image: opaque red left half, black under full transparency on the right."""
    pixels = np.zeros((10, 20, 4), dtype=np.uint8)
    pixels[:, :10] = (255, 0, 0, 255)
    return Image.fromarray(pixels)


def assert_colour(pixel: np.ndarray, colour: tuple[int, int, int], tolerance: int = 0) -> None:
    difference = np.abs(pixel.astype(int) - np.array(colour)).max()
    assert difference <= tolerance, f"pixel {pixel.tolist()} is not {colour} (tolerance {tolerance})"


def test_decode_rgba(tmp_path: Path):
    path = tmp_path / "motif.png"
    red_motif_rgba().save(path)

    decoded = images.decode(path, BACKGROUND)

    assert decoded.rgb.shape == (10, 20, 3)
    assert decoded.rgb.dtype == np.uint8
    assert (decoded.rgb[:, :10] == RED).all()
    assert (decoded.rgb[:, 10:] == BACKGROUND).all()
    assert decoded.alpha is not None
    assert (decoded.alpha[:, :10] == 255).all()
    assert (decoded.alpha[:, 10:] == 0).all()
    assert decoded.format == "PNG"
    assert decoded.notes == []


def test_decode_rgba_half_transparent(tmp_path: Path):
    path = tmp_path / "half.png"
    Image.new("RGBA", (4, 4), (0, 0, 0, 128)).save(path)

    decoded = images.decode(path, BACKGROUND)

    # Black at alpha 128/255 over (0, 128, 255) is 127/255 of the background.
    assert_colour(decoded.rgb[0, 0], (0, 64, 127), tolerance=1)
    assert decoded.alpha[0, 0] == 128


def test_decode_rgba_fully_opaque(tmp_path: Path):
    path = tmp_path / "opaque.png"
    pattern(1, mode="RGBA").save(path)

    decoded = images.decode(path, BACKGROUND)

    assert decoded.alpha is None
    assert (decoded.rgb == np.asarray(pattern(1))).all()


def test_decode_la(tmp_path: Path):
    path = tmp_path / "la.png"
    gray = Image.new("L", (20, 10), 0)
    gray.paste(200, (0, 0, 10, 10))
    alpha = Image.new("L", (20, 10), 0)
    alpha.paste(255, (0, 0, 10, 10))
    Image.merge("LA", (gray, alpha)).save(path)
    assert Image.open(path).mode == "LA"

    decoded = images.decode(path, BACKGROUND)

    assert (decoded.rgb[:, :10] == (200, 200, 200)).all()
    assert (decoded.rgb[:, 10:] == BACKGROUND).all()
    assert (decoded.alpha[:, :10] == 255).all()
    assert (decoded.alpha[:, 10:] == 0).all()


def test_decode_palette_trns(tmp_path: Path):
    path = tmp_path / "palette.png"
    indices = np.zeros((10, 20), dtype=np.uint8)
    indices[:, :10] = 1
    image = Image.fromarray(indices, mode="P")
    image.putpalette([0, 0, 0, 255, 0, 0] + [0, 0, 0] * 254)
    image.save(path, transparency=0)
    opened = Image.open(path)
    assert opened.mode == "P"
    assert opened.info["transparency"] == 0

    decoded = images.decode(path, BACKGROUND)

    assert (decoded.rgb[:, :10] == RED).all()
    assert (decoded.rgb[:, 10:] == BACKGROUND).all()
    assert (decoded.alpha[:, :10] == 255).all()
    assert (decoded.alpha[:, 10:] == 0).all()


def test_decode_gray_trns(tmp_path: Path):
    path = tmp_path / "gray_trns.png"
    gray = Image.new("L", (20, 10), 10)
    gray.paste(200, (0, 0, 10, 10))
    gray.save(path, transparency=10)

    decoded = images.decode(path, BACKGROUND)

    assert (decoded.rgb[:, :10] == (200, 200, 200)).all()
    assert (decoded.rgb[:, 10:] == BACKGROUND).all()
    assert (decoded.alpha[:, 10:] == 0).all()


def test_decode_rgb(tmp_path: Path):
    path = tmp_path / "plain.png"
    pattern(2).save(path)

    decoded = images.decode(path, BACKGROUND)

    assert decoded.alpha is None
    assert (decoded.rgb == np.asarray(pattern(2))).all()
    assert decoded.size == (32, 24)
    assert decoded.notes == []


def test_decode_gray(tmp_path: Path):
    path = tmp_path / "gray.png"
    values = np.arange(0, 240, dtype=np.uint8).reshape(12, 20)
    Image.fromarray(values).save(path)
    assert Image.open(path).mode == "L"

    decoded = images.decode(path, BACKGROUND)

    assert decoded.alpha is None
    assert decoded.rgb.shape == (12, 20, 3)
    for channel in range(3):
        assert (decoded.rgb[..., channel] == values).all()


def test_decode_gray16(tmp_path: Path):
    path = tmp_path / "gray16.png"
    values = np.array([[0, 257, 32896, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(path)
    assert Image.open(path).mode == "I;16"

    decoded = images.decode(path, BACKGROUND)

    assert decoded.rgb[0, :, 0].tolist() == [0, 1, 128, 255]
    assert (decoded.rgb[..., 0] == decoded.rgb[..., 2]).all()
    assert decoded.alpha is None
    assert decoded.notes == ["scaled to 8 bits: I;16 samples"]


def test_decode_gray16_trns(tmp_path: Path):
    path = tmp_path / "gray16_trns.png"
    values = np.full((10, 20), 1000, dtype=np.uint16)
    values[:, :10] = 65535
    Image.fromarray(values).save(path, transparency=1000)
    assert Image.open(path).info["transparency"] == 1000

    decoded = images.decode(path, BACKGROUND)

    assert (decoded.rgb[:, :10] == (255, 255, 255)).all()
    assert (decoded.rgb[:, 10:] == BACKGROUND).all()
    assert decoded.alpha is not None
    assert (decoded.alpha[:, :10] == 255).all()
    assert (decoded.alpha[:, 10:] == 0).all()


def test_decode_int32(tmp_path: Path):
    path = tmp_path / "int32.tif"
    values = np.array([[0, 200, 32896, 65535]], dtype=np.int32)
    Image.fromarray(values).save(path)
    assert Image.open(path).mode == "I"

    decoded = images.decode(path, BACKGROUND)

    # Samples above 255 that fit in 16 bits are scaled like 16-bit ones.
    assert decoded.rgb[0, :, 0].tolist() == [0, 1, 128, 255]
    assert decoded.notes == ["scaled to 8 bits: I samples"]


def test_decode_int32_wide(tmp_path: Path):
    path = tmp_path / "int32_wide.tif"
    values = np.array([[0, 500_000, 1_000_000, 2_000_000]], dtype=np.int32)
    Image.fromarray(values).save(path)

    decoded = images.decode(path, BACKGROUND)

    # Samples wider than 16 bits are scaled so the largest becomes 255.
    assert decoded.rgb[0, :, 0].tolist() == [0, 64, 128, 255]


def test_decode_cmyk_jpeg(tmp_path: Path):
    path = tmp_path / "cmyk.jpg"
    path.write_bytes(cmyk_jpeg())
    assert Image.open(path).mode == "CMYK"

    decoded = images.decode(path, BACKGROUND)

    assert decoded.rgb.shape == (24, 32, 3)
    assert_colour(decoded.rgb[12, 16], RED, tolerance=4)
    assert decoded.alpha is None
    assert decoded.notes == ["CMYK converted to RGB"]


def test_decode_exif_orientation_6(tmp_path: Path):
    path = tmp_path / "rotated.jpg"
    path.write_bytes(exif_rotated_jpeg(6))
    assert Image.open(path).size == (40, 24)

    decoded = images.decode(path, BACKGROUND)

    # Orientation 6 means "rotate 90 degrees clockwise to display":
    # the stored top-left red quarter ends up top right.
    assert decoded.size == (24, 40)
    assert_colour(decoded.rgb[5, 18], RED, tolerance=8)
    assert_colour(decoded.rgb[5, 5], (0, 0, 0), tolerance=8)
    assert_colour(decoded.rgb[35, 5], (0, 0, 0), tolerance=8)
    assert decoded.notes == ["EXIF orientation applied: 6"]


def test_decode_exif_orientation_8(tmp_path: Path):
    path = tmp_path / "rotated.jpg"
    path.write_bytes(exif_rotated_jpeg(8))

    decoded = images.decode(path, BACKGROUND)

    # Orientation 8 means "rotate 90 degrees counter-clockwise to display":
    # the stored top-left red quarter ends up bottom left.
    assert decoded.size == (24, 40)
    assert_colour(decoded.rgb[35, 5], RED, tolerance=8)
    assert_colour(decoded.rgb[5, 5], (0, 0, 0), tolerance=8)
    assert_colour(decoded.rgb[5, 18], (0, 0, 0), tolerance=8)
    assert decoded.notes == ["EXIF orientation applied: 8"]


def test_decode_exif_orientation_invalid(tmp_path: Path):
    path = tmp_path / "invalid_orientation.jpg"
    path.write_bytes(exif_rotated_jpeg(0))

    decoded = images.decode(path, BACKGROUND)

    assert decoded.size == (40, 24)
    assert decoded.notes == []


def test_decode_lying_extension(tmp_path: Path):
    path = tmp_path / "photo.jpg"
    pattern(3).save(path, format="PNG")

    decoded = images.decode(path, BACKGROUND)

    assert decoded.format == "PNG"
    assert (decoded.rgb == np.asarray(pattern(3))).all()
    assert decoded.notes == ["extension does not match content: .jpg file contains PNG data"]


def test_decode_uppercase_extension(tmp_path: Path):
    path = tmp_path / "PHOTO.PNG"
    pattern(4).save(path)

    decoded = images.decode(path, BACKGROUND)

    assert decoded.format == "PNG"
    assert (decoded.rgb == np.asarray(pattern(4))).all()
    assert decoded.notes == []


def test_decode_gif_frames(tmp_path: Path):
    path = tmp_path / "anim.gif"
    path.write_bytes(animated_gif())
    assert Image.open(path).n_frames == 3

    decoded = images.decode(path, BACKGROUND)

    assert (decoded.rgb[:, :16] == RED).all()
    assert (decoded.rgb[:, 16:] == (0, 0, 255)).all()
    assert decoded.format == "GIF"
    assert decoded.notes == ["first frame used: 3 frames"]


def test_decode_empty_file(tmp_path: Path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")

    with pytest.raises(SkipImage) as error:
        images.decode(path, BACKGROUND)

    assert str(error.value) == "empty file"


def test_decode_truncated_png(tmp_path: Path):
    path = tmp_path / "truncated.png"
    path.write_bytes(truncated_png(5))
    assert Image.open(path).format == "PNG"

    with pytest.raises(SkipImage) as error:
        images.decode(path, BACKGROUND)

    assert str(error.value).startswith("truncated or corrupt: ")


def test_decode_text_file(tmp_path: Path):
    path = tmp_path / "notes.png"
    path.write_text("not a picture, just text\n", encoding="utf-8")

    with pytest.raises(SkipImage) as error:
        images.decode(path, BACKGROUND)

    assert str(error.value) == "not an image"


def test_decode_missing_file(tmp_path: Path):
    with pytest.raises(SkipImage) as error:
        images.decode(tmp_path / "gone.png", BACKGROUND)

    assert str(error.value).startswith("unreadable: ")


def test_decode_too_large(tmp_path: Path):
    path = tmp_path / "large.png"
    Image.new("RGB", (120, 100)).save(path)

    with pytest.raises(SkipImage) as error:
        images.decode(path, BACKGROUND, max_pixels=10_000)

    assert str(error.value).startswith("too large")
    assert images.decode(path, BACKGROUND, max_pixels=12_000).size == (120, 100)


def test_decode_far_too_large(tmp_path: Path):
    # Over twice the limit Pillow raises DecompressionBombError, not only a warning.
    path = tmp_path / "huge.png"
    Image.new("RGB", (300, 100)).save(path)

    with pytest.raises(SkipImage) as error:
        images.decode(path, BACKGROUND, max_pixels=10_000)

    assert str(error.value).startswith("too large")


def test_decode_restores_pillow_limit(tmp_path: Path):
    path = tmp_path / "large.png"
    Image.new("RGB", (120, 100)).save(path)
    limit = Image.MAX_IMAGE_PIXELS

    with pytest.raises(SkipImage):
        images.decode(path, BACKGROUND, max_pixels=10_000)

    assert Image.MAX_IMAGE_PIXELS == limit


def test_pixel_hash_png_bmp(tmp_path: Path):
    png = tmp_path / "picture.png"
    bmp = tmp_path / "picture.bmp"
    pattern(6).save(png)
    pattern(6).save(bmp)

    assert images.decode(png).pixel_hash() == images.decode(bmp).pixel_hash()


def test_pixel_hash_opaque_rgba(tmp_path: Path):
    rgba = tmp_path / "rgba.png"
    bmp = tmp_path / "rgb.bmp"
    pattern(7, mode="RGBA").save(rgba)
    pattern(7).save(bmp)

    assert images.decode(rgba).pixel_hash() == images.decode(bmp).pixel_hash()


def test_pixel_hash_hidden_colour(tmp_path: Path):
    black = tmp_path / "black.png"
    green = tmp_path / "green.png"
    red_motif_rgba().save(black)
    hidden_green = np.asarray(red_motif_rgba()).copy()
    hidden_green[:, 10:] = (0, 255, 0, 0)
    Image.fromarray(hidden_green).save(green)

    assert images.decode(black).pixel_hash() == images.decode(green).pixel_hash()


def test_pixel_hash_differs(tmp_path: Path):
    first = tmp_path / "first.png"
    second = tmp_path / "second.png"
    pattern(8).save(first)
    pattern(9).save(second)

    assert images.decode(first).pixel_hash() != images.decode(second).pixel_hash()


def test_pixel_hash_shape(tmp_path: Path):
    # The same bytes in another shape are another picture.
    wide = tmp_path / "wide.png"
    tall = tmp_path / "tall.png"
    Image.new("RGB", (4, 2), RED).save(wide)
    Image.new("RGB", (2, 4), RED).save(tall)

    assert images.decode(wide).pixel_hash() != images.decode(tall).pixel_hash()


def test_letterbox_wide():
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[...] = RED

    square = images.letterbox(pixels, 20, BACKGROUND)

    # 40 x 20 scales to 20 x 10, centred, so rows 5 to 14 contain the image.
    assert square.shape == (20, 20, 3)
    assert square.dtype == np.uint8
    assert (square[:5] == BACKGROUND).all()
    assert (square[15:] == BACKGROUND).all()
    assert (square[5:15] == RED).all()
    assert images.Placement(40, 20, 20).box == (0, 5, 20, 15)


def test_letterbox_tall():
    pixels = np.zeros((40, 10, 3), dtype=np.uint8)
    pixels[...] = RED

    square = images.letterbox(pixels, 20, BACKGROUND)

    # 10 x 40 scales to 5 x 20, so columns 7 to 11 contain the image.
    assert square.shape == (20, 20, 3)
    assert (square[:, :7] == BACKGROUND).all()
    assert (square[:, 12:] == BACKGROUND).all()
    assert (square[:, 7:12] == RED).all()
    assert images.Placement(10, 40, 20).box == (7, 0, 12, 20)


def test_letterbox_mask():
    mask = np.full((10, 30), 255, dtype=np.uint8)

    square = images.letterbox(mask, 30, 0)

    assert square.shape == (30, 30)
    assert (square[:10] == 0).all()
    assert (square[10:20] == 255).all()
    assert (square[20:] == 0).all()


def test_letterbox_keeps_layout():
    # Left half red, right half blue: the sides must stay in place after resizing.
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :20] = RED
    pixels[:, 20:] = (0, 0, 255)

    square = images.letterbox(pixels, 40, BACKGROUND)

    assert (square[10:30, :18] == RED).all()
    assert (square[10:30, 22:] == (0, 0, 255)).all()


def test_unletterbox_wide():
    square = np.zeros((20, 20), dtype=np.float32)
    square[5:15] = 1.0

    restored = images.unletterbox(square, 40, 20)

    # The padding rows are cropped away, so only the image area comes back.
    assert restored.shape == (20, 40)
    assert restored.dtype == np.float32
    assert np.allclose(restored, 1.0)


def test_unletterbox_tall():
    square = np.zeros((20, 20), dtype=np.float32)
    square[:, 7:12] = 1.0
    square[10:, 7:12] = 0.5

    restored = images.unletterbox(square, 10, 40)

    assert restored.shape == (40, 10)
    assert np.allclose(restored[:18], 1.0)
    assert np.allclose(restored[22:], 0.5)


def test_letterbox_round_trip():
    # A map drawn over the letterboxed image comes back aligned with the original.
    mask = np.zeros((30, 60), dtype=np.uint8)
    mask[:, :30] = 255
    square = images.letterbox(mask, 32, 0).astype(np.float32) / 255

    restored = images.unletterbox(square, 60, 30)

    assert restored.shape == (30, 60)
    assert np.allclose(restored[:, :28], 1.0, atol=0.02)
    assert np.allclose(restored[:, 32:], 0.0, atol=0.02)

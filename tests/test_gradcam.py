"""Grad-CAM on real torchvision models, the ViT token grid, overlays and un-letterboxing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.models import VisionTransformer

from ornaments import gradcam, images, models, plots
from ornaments.gradcam import GradCAM, GradCAMError, tokens_to_grid

TINY_VIT_LAYER = "encoder.layers.encoder_layer_1.ln_1"


def seeded_resnet(finetune: str = "head") -> models.Net:
    torch.manual_seed(0)
    return models.build("resnet18", 3, pretrained=False, finetune=finetune)


def tiny_vit() -> VisionTransformer:
    """A 32 px ViT with 16 px patches (1 class token and a 2 x 2 patch grid) and a new head as build() gives it.

    torchvision initialises a ViT head to zeros, which would make every gradient and heatmap zero.
    """
    torch.manual_seed(0)
    vit = VisionTransformer(
        image_size=32, patch_size=16, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=3
    )
    models._replace_head(vit, 3)
    return vit


def batch(size: int, side: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(size * 1000 + side)
    return torch.randn(size, 3, side, side, generator=generator)


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize("size", [1, 3])
def test_resnet_cam_shape(size):
    net = seeded_resnet()

    cams, logits = GradCAM(net.model, "layer4")(batch(size, 64))

    assert cams.shape == (size, 2, 2)  # 64 px / stride 32
    assert cams.dtype == np.float32
    assert logits.shape == (size, 3)


@pytest.mark.parametrize("size", [1, 3])
def test_tiny_vit_cam_shape(size):
    vit = tiny_vit()

    cams, logits = GradCAM(vit, TINY_VIT_LAYER, prefix_tokens=1)(batch(size, 32))

    assert cams.shape == (size, 2, 2)  # 32 px / 16 px patches
    assert logits.shape == (size, 3)


def test_vit_b_16_default_layer_shape():
    torch.manual_seed(0)
    net = models.build("vit_b_16", 3, pretrained=False, finetune="head")
    layer = models.default_gradcam_layer(net)

    cams, _ = GradCAM(net.model, layer, net.prefix_tokens)(batch(1, 224))

    assert layer == "encoder.layers.encoder_layer_11.ln_1"
    assert cams.shape == (1, 14, 14)  # 224 px / 16 px patches
    assert cams.max() == pytest.approx(1.0)


def test_resnet_default_layer():
    assert models.default_gradcam_layer(seeded_resnet()) == "layer4"


# ---------------------------------------------------------------- token grid


def numbered_tokens(batch_size: int, patches: int, channels: int) -> torch.Tensor:
    """Return tokens B x (1 + patches) x C with patch values 10 * patch index + channel and a class token of -1."""
    values = torch.arange(patches).view(1, patches, 1) * 10 + torch.arange(channels).view(1, 1, channels)
    class_token = torch.full((1, 1, channels), -1)
    return torch.cat([class_token, values], dim=1).expand(batch_size, -1, -1).float()


@pytest.mark.parametrize(("patches", "side"), [(4, 2), (9, 3), (196, 14)])
def test_tokens_to_grid_side(patches, side):
    grid = tokens_to_grid(numbered_tokens(2, patches, 5), prefix_tokens=1)

    assert grid.shape == (2, 5, side, side)


def test_tokens_to_grid_row_major():
    grid = tokens_to_grid(numbered_tokens(1, 9, 4), prefix_tokens=1)

    for row in range(3):
        for column in range(3):
            for channel in range(4):
                assert grid[0, channel, row, column].item() == (row * 3 + column) * 10 + channel


def test_tokens_to_grid_drops_class_token():
    grid = tokens_to_grid(numbered_tokens(1, 4, 3), prefix_tokens=1)

    assert (grid >= 0).all()


@pytest.mark.parametrize(("patches", "prefix_tokens"), [(5, 1), (4, 0), (0, 1)])
def test_tokens_to_grid_not_square(patches, prefix_tokens):
    with pytest.raises(GradCAMError, match="not a square patch grid"):
        tokens_to_grid(numbered_tokens(1, patches, 3), prefix_tokens=prefix_tokens)


def test_tokens_to_grid_rejects_4d():
    with pytest.raises(GradCAMError, match="B x N x C"):
        tokens_to_grid(torch.zeros(1, 5, 3, 2), prefix_tokens=1)


def test_vit_without_prefix_tokens_rejected():
    with pytest.raises(GradCAMError, match="5 tokens less 0 prefix"):
        GradCAM(tiny_vit(), TINY_VIT_LAYER, prefix_tokens=0)(batch(1, 32))


# ---------------------------------------------------------------- frozen models and values


def test_frozen_backbone_nonzero():
    net = seeded_resnet("head")
    trainable = [name for name, parameter in net.model.named_parameters() if parameter.requires_grad]

    cams, _ = GradCAM(net.model, "layer4")(batch(3, 64))

    assert trainable == ["fc.weight", "fc.bias"]
    assert (cams.reshape(3, -1).max(axis=1) == 1.0).all()


@pytest.mark.parametrize("arch", ["resnet", "tiny_vit"])
def test_all_frozen_nonzero(arch):
    if arch == "resnet":
        model, layer, prefix_tokens, inputs = seeded_resnet().model, "layer4", 0, batch(3, 64)
    else:
        model, layer, prefix_tokens, inputs = tiny_vit(), TINY_VIT_LAYER, 1, batch(3, 32)
    for parameter in model.parameters():
        parameter.requires_grad_(False)

    cams, _ = GradCAM(model, layer, prefix_tokens)(inputs)

    assert (cams.reshape(3, -1).max(axis=1) == 1.0).all()
    assert all(parameter.grad is None for parameter in model.parameters())


@pytest.mark.parametrize("arch", ["resnet", "tiny_vit"])
def test_cam_values_in_unit_range(arch):
    if arch == "resnet":
        explainer, inputs = GradCAM(seeded_resnet().model, "layer4"), batch(3, 96)
    else:
        explainer, inputs = GradCAM(tiny_vit(), TINY_VIT_LAYER, 1), batch(3, 32)

    cams, _ = explainer(inputs)

    assert cams.min() >= 0.0
    assert cams.max() <= 1.0
    assert np.isfinite(cams).all()


def test_cam_under_no_grad():
    explainer = GradCAM(seeded_resnet().model, "layer4")

    with torch.no_grad():
        cams, _ = explainer(batch(1, 64))

    assert cams.max() == 1.0


# ---------------------------------------------------------------- targets


def test_other_target_changes_map():
    explainer = GradCAM(seeded_resnet().model, "layer4")
    inputs = batch(3, 96)
    predicted_cams, logits = explainer(inputs)
    predicted = logits.argmax(1)
    other = (predicted + 1) % 3

    other_cams, _ = explainer(inputs, torch.from_numpy(other))

    for index in range(3):
        assert not np.allclose(other_cams[index], predicted_cams[index]), f"image {index}"


def test_predicted_target_matches_default():
    explainer = GradCAM(seeded_resnet().model, "layer4")
    inputs = batch(3, 64)
    default_cams, logits = explainer(inputs)

    explicit_cams, _ = explainer(inputs, logits.argmax(1))  # a NumPy array works as well as a tensor

    assert np.array_equal(explicit_cams, default_cams)


def test_target_count_mismatch_rejected():
    explainer = GradCAM(seeded_resnet().model, "layer4")

    with pytest.raises(ValueError, match="2 targets for a batch of 3"):
        explainer(batch(3, 64), torch.tensor([0, 1]))


# ---------------------------------------------------------------- layers and hooks


def test_unknown_layer_lists_modules():
    with pytest.raises(GradCAMError) as error:
        GradCAM(seeded_resnet().model, "layer5")

    message = str(error.value)
    assert "'layer5' not found" in message
    assert "layer4" in message
    assert "fc" in message


def test_unknown_nested_layer_lists_children():
    with pytest.raises(GradCAMError) as error:
        GradCAM(tiny_vit(), "encoder.layers.encoder_layer_2.ln_1")

    assert "encoder.layers.encoder_layer_0" in str(error.value)
    assert "encoder.layers.encoder_layer_1" in str(error.value)


def test_hook_removed_and_repeatable():
    model = seeded_resnet().model
    explainer = GradCAM(model, "layer4")
    inputs = batch(3, 64)

    first, _ = explainer(inputs)
    second, _ = explainer(inputs)

    assert np.array_equal(first, second)
    assert len(model.layer4._forward_hooks) == 0


def test_hook_removed_after_error():
    model = seeded_resnet().model
    explainer = GradCAM(model, "layer4")

    with pytest.raises(ValueError):
        explainer(batch(3, 64), torch.tensor([0]))

    assert len(model.layer4._forward_hooks) == 0


# ---------------------------------------------------------------- upsampling and mask share


def test_upsample_shape_and_range():
    cams = np.random.default_rng(0).random((2, 7, 7)).astype(np.float32)

    resized = gradcam.upsample(cams, 32)

    assert resized.shape == (2, 32, 32)
    assert resized.min() >= 0.0
    assert resized.max() <= 1.0


def test_mass_inside_share():
    cam = np.array([[1.0, 3.0], [0.0, 0.0]])
    mask = np.array([[0, 255], [255, 0]])

    assert gradcam.mass_inside(cam, mask) == pytest.approx(0.75)
    assert np.isnan(gradcam.mass_inside(np.zeros((2, 2)), mask))


# ---------------------------------------------------------------- overlay


def test_overlay_hot_is_red():
    black = np.zeros((8, 8, 3), dtype=np.uint8)

    blended = plots.overlay(black, np.ones((8, 8), dtype=np.float32))

    assert blended.shape == (8, 8, 3)
    assert blended.dtype == np.uint8
    assert blended[..., 0].min() >= 50  # red: jet(1.0) is (0.5, 0, 0), blended at 0.45
    assert blended[..., 1].max() == 0
    assert blended[..., 2].max() == 0


def test_overlay_cold_is_blue():
    blended = plots.overlay(np.zeros((8, 8, 3), dtype=np.uint8), np.zeros((8, 8), dtype=np.float32))

    assert blended[..., 0].max() == 0
    assert blended[..., 2].min() >= 50


def test_colorize_channel_order():
    colours = plots.colorize(np.array([[0.0, 1.0]]))

    assert colours.shape == (1, 2, 3)
    assert colours[0, 1].tolist() == [128, 0, 0]  # jet(1.0) in RGB
    assert colours[0, 0].tolist() == [0, 0, 128]  # jet(0.0) in RGB


def test_overlay_size_mismatch_rejected():
    with pytest.raises(ValueError, match="differ in size"):
        plots.overlay(np.zeros((8, 8, 3), dtype=np.uint8), np.zeros((8, 9), dtype=np.float32))


def test_overlay_grayscale_rejected():
    with pytest.raises(ValueError, match="H x W x 3"):
        plots.overlay(np.zeros((8, 8), dtype=np.uint8), np.zeros((8, 8), dtype=np.float32))


# ---------------------------------------------------------------- un-letterboxing


@pytest.mark.parametrize(("width", "height"), [(100, 40), (40, 100), (64, 64), (300, 7), (5, 300)])
def test_unletterbox_image_size(width, height):
    square = np.random.default_rng(0).random((32, 32)).astype(np.float32)

    restored = images.unletterbox(square, width, height)

    assert restored.shape == (height, width)


@pytest.mark.parametrize(("width", "height"), [(100, 40), (40, 100), (300, 7)])
def test_unletterbox_drops_padding(width, height):
    # Ones where the image lies in the letterbox square, zeros on the padding.
    inside = images.letterbox(np.full((height, width), 255, dtype=np.uint8), 32, 0).astype(np.float32) / 255

    restored = images.unletterbox(inside, width, height)

    assert restored.min() == pytest.approx(1.0)

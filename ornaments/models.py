"""Build torchvision classifiers for transfer learning.

Every model is split into a frozen prefix and a trainable suffix, with
`suffix(prefix(x)) == model(x)`. When the prefix gets the same inputs every
epoch, its outputs are computed once and reused (see train.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn
from torchvision import models as tv_models
from torchvision.models import VisionTransformer
from torchvision.models.resnet import ResNet

from .progress import log
from .errors import ConfigError, WeightsError

FINETUNE = ("full", "head", "last_n")


@dataclass
class Net:
    model: nn.Module  # the whole torchvision model; checkpoints and Grad-CAM use it
    prefix: nn.Module  # frozen part, always in eval mode
    suffix: nn.Module  # trained part
    arch: str
    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    weights: str  # torchvision weights name as get_weight() reads it (ResNet18_Weights.IMAGENET1K_V1), or "none"
    prefix_tokens: int  # leading non-patch tokens in ViT layers (the class token)

    def train(self) -> None:
        self.model.train()
        self.prefix.eval()

    def eval(self) -> None:
        self.model.eval()


class _ViTEmbedding(nn.Module):
    """Patch projection, class token and position embedding of a torchvision ViT: B x 3 x H x W -> B x N x D.

    It holds only the embedding's own modules and parameters (shared with the
    ViT), not the whole ViT, so the prefix's parameters and train/eval mode do
    not reach the encoder blocks and head that the suffix trains.
    """

    def __init__(self, vit: VisionTransformer):
        super().__init__()
        self.conv_proj = vit.conv_proj
        self.class_token = vit.class_token
        self.pos_embedding = vit.encoder.pos_embedding
        self.dropout = vit.encoder.dropout
        self.image_size = vit.image_size

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[-2:]
        if height != self.image_size or width != self.image_size:
            raise ValueError(f"ViT input must be {self.image_size} x {self.image_size} pixels, got {height} x {width}")
        tokens = self.conv_proj(images).flatten(2).transpose(1, 2)  # B x (H/p * W/p) x D, row-major patches
        class_token = self.class_token.expand(tokens.shape[0], -1, -1)
        tokens = torch.cat([class_token, tokens], dim=1)
        return self.dropout(tokens + self.pos_embedding)


class _ViTClassToken(nn.Module):
    """Final layer norm and the class token: B x N x D -> B x D."""

    def __init__(self, vit: VisionTransformer):
        super().__init__()
        self.norm = vit.encoder.ln

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.norm(tokens)[:, 0]


def supported(arch: str) -> bool:
    return arch in tv_models.list_models(module=tv_models) and (
        arch.startswith(("resnet", "resnext", "wide_resnet")) or arch.startswith("vit_")
    )


def weights_enum(arch: str):
    """Return the default ImageNet weights of `arch`; their transforms give input size and normalisation."""
    return tv_models.get_model_weights(arch).DEFAULT


def weights_file(arch: str) -> Path:
    """Return where torchvision looks for the cached weights file of `arch`."""
    url = weights_enum(arch).url
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(url).path)


def _load_pretrained(arch: str, name: str) -> nn.Module:
    weights = weights_enum(arch)
    try:
        return tv_models.get_model(arch, weights=weights)
    except Exception as error:
        path = weights_file(arch)
        raise WeightsError(
            f"could not load ImageNet weights {weights} for models.{name} ({type(error).__name__}: {error}). "
            f"torchvision reads them from {path} and downloads them there when the network allows. "
            f"Copy {path.name} to {path.parent} (or set TORCH_HOME), delete a partial download there, "
            f"or set models.{name}.pretrained: false to train from random weights."
        ) from error


def _replace_head(model: nn.Module, num_classes: int) -> None:
    if isinstance(model, ResNet):
        model.fc = nn.Linear(model.fc.in_features, num_classes)
    else:
        model.heads.head = nn.Linear(model.heads.head.in_features, num_classes)


def _parts(model: nn.Module, finetune: str, last_n: int, name: str) -> tuple[list[nn.Module], list[nn.Module]]:
    """Return the model as a module sequence split into frozen prefix and trainable suffix."""
    if isinstance(model, ResNet):
        stem = nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool)
        blocks = [model.layer1, model.layer2, model.layer3, model.layer4]
        pool = nn.Sequential(model.avgpool, nn.Flatten(1))
        sequence = [stem, *blocks, pool, model.fc]
    else:
        blocks = list(model.encoder.layers)
        sequence = [_ViTEmbedding(model), *blocks, _ViTClassToken(model), model.heads]
    if finetune == "full":
        cut = 0
    elif finetune == "head":
        cut = len(sequence) - 1
    else:
        if not 1 <= last_n <= len(blocks):
            raise ConfigError(
                f"models.{name}.last_n is {last_n}, but {type(model).__name__} has {len(blocks)} blocks; "
                f"set it to 1 to {len(blocks)}, or use finetune: full"
            )
        cut = 1 + len(blocks) - last_n
    return sequence[:cut], sequence[cut:]


def build(
    arch: str,
    num_classes: int,
    pretrained: bool,
    finetune: str = "full",
    last_n: int = 1,
    name: str | None = None,
) -> Net:
    """Build `arch` with a new `num_classes` head and the parameters outside `finetune` frozen."""
    name = name or arch
    if not supported(arch):
        raise ConfigError(
            f"models.{name}.arch: {arch!r} is not supported; use a torchvision ResNet "
            "(resnet18, resnet50, ...) or ViT (vit_b_16, ...)"
        )
    if finetune not in FINETUNE:
        raise ConfigError(f"models.{name}.finetune: invalid value {finetune!r}; expected one of {', '.join(FINETUNE)}")

    weights = weights_enum(arch)
    if pretrained:
        model = _load_pretrained(arch, name)
    else:
        model = tv_models.get_model(arch, weights=None)
        if finetune != "full":
            log(
                f"warning: models.{name} trains only part of a randomly initialised network "
                f"(pretrained: false, finetune: {finetune}); its features are random",
            )
    _replace_head(model, num_classes)

    prefix_parts, suffix_parts = _parts(model, finetune, last_n, name)
    prefix = nn.Sequential(*prefix_parts)
    suffix = nn.Sequential(*suffix_parts)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    for parameter in suffix.parameters():
        parameter.requires_grad_(True)

    transforms = weights.transforms()
    return Net(
        model=model,
        prefix=prefix.eval(),
        suffix=suffix,
        arch=arch,
        input_size=int(transforms.crop_size[0]),
        mean=tuple(transforms.mean),
        std=tuple(transforms.std),
        weights=str(weights) if pretrained else "none",
        prefix_tokens=0 if isinstance(model, ResNet) else 1,
    )


def default_gradcam_layer(net: Net) -> str:
    if isinstance(net.model, ResNet):
        return "layer4"
    last = len(net.model.encoder.layers) - 1
    return f"encoder.layers.encoder_layer_{last}.ln_1"


def build_from_params(params: dict, name: str, num_classes: int) -> Net:
    """Build the entry `name` of params.yaml `models` for `num_classes` classes."""
    model = params["models"][name]
    return build(model["arch"], num_classes, model["pretrained"], model["finetune"], model["last_n"], name)

"""Grad-CAM for CNN feature maps and ViT token sequences.

The target layer's output is replaced, inside a forward hook, by a detached
copy that requires grad. Gradients then reach it even when every parameter
of the backbone is frozen, and no parameter gradient is computed.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .errors import GradCAMError


def tokens_to_grid(tokens: torch.Tensor, prefix_tokens: int) -> torch.Tensor:
    """Reshape ViT tokens B x N x C to a B x C x H x W patch grid.

    The first `prefix_tokens` tokens (the class token) are dropped. The grid side
    is computed from the remaining count, which must be a square number.
    """
    if tokens.dim() != 3:
        raise GradCAMError(f"expected B x N x C tokens, got shape {tuple(tokens.shape)}")
    patches = tokens.shape[1] - prefix_tokens
    side = math.isqrt(max(patches, 0))
    if patches <= 0 or side * side != patches:
        raise GradCAMError(
            f"{tokens.shape[1]} tokens less {prefix_tokens} prefix token(s) leave {patches}, "
            "which is not a square patch grid; choose a layer whose output is the token sequence"
        )
    grid = tokens[:, prefix_tokens:, :]  # B x H*W x C
    return grid.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], side, side)


def _missing_layer_message(model: nn.Module, layer: str) -> str:
    """Name the deepest module on the path of `layer` that exists and list its children."""
    parent_name, parent = "", model
    for part in layer.split("."):
        child = getattr(parent, "_modules", {}).get(part)
        if child is None:
            break
        parent_name = f"{parent_name}.{part}" if parent_name else part
        parent = child
    prefix = f"{parent_name}." if parent_name else ""
    children = [f"{prefix}{name}" for name, _ in parent.named_children()]
    where = f"module {parent_name!r} contains" if parent_name else "its top-level modules are"
    listed = ", ".join(children[:12]) + (f" and {len(children) - 12} more" if len(children) > 12 else "")
    return (
        f"target layer {layer!r} not found in {type(model).__name__}; {where}: {listed or 'none'}. "
        "Set gradcam.layers to a dotted name from model.named_modules()"
    )


class GradCAM:
    """Grad-CAM heatmaps of `model` at the module named `layer` (a dotted name).

    Each call puts `model` in eval mode and removes its forward hook before it returns.
    """

    def __init__(self, model: nn.Module, layer: str, prefix_tokens: int = 0):
        try:
            self.module = model.get_submodule(layer)
        except AttributeError:
            raise GradCAMError(_missing_layer_message(model, layer)) from None
        self.model = model
        self.layer = layer
        self.prefix_tokens = prefix_tokens
        self._activation: torch.Tensor | None = None

    def _hook(self, module, inputs, output):
        if not isinstance(output, torch.Tensor):
            raise GradCAMError(f"layer {self.layer!r} returns {type(output).__name__}, not a tensor")
        activation = output.detach().requires_grad_(True)
        self._activation = activation
        return activation

    def __call__(
        self, inputs: torch.Tensor, targets: torch.Tensor | np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return heatmaps B x h x w in [0, 1] and the logits, explaining `targets` (default: predicted class)."""
        self.model.eval()
        self._activation = None  # an earlier call that raised may have left its activation here
        handle = self.module.register_forward_hook(self._hook)
        try:
            with torch.enable_grad():
                logits = self.model(inputs)
                activation = self._activation
                if activation is None:
                    raise GradCAMError(f"layer {self.layer!r} was not run by the forward pass")

                if targets is None:
                    targets = logits.argmax(1)
                targets = torch.as_tensor(targets, dtype=torch.long, device=logits.device).view(-1)
                if len(targets) != len(logits):
                    raise ValueError(f"got {len(targets)} targets for a batch of {len(logits)} images")
                chosen = logits.gather(1, targets.view(-1, 1)).sum()
                (gradient,) = torch.autograd.grad(chosen, activation)
        finally:
            handle.remove()
            self._activation = None

        activation = activation.detach()
        if activation.dim() == 3:
            activation = tokens_to_grid(activation, self.prefix_tokens)
            gradient = tokens_to_grid(gradient, self.prefix_tokens)
        elif activation.dim() != 4:
            raise GradCAMError(f"layer {self.layer!r} output has shape {tuple(activation.shape)}; expected 4 or 3 dimensions")
        weights = gradient.mean(dim=(2, 3), keepdim=True)  # B x C x 1 x 1
        cam = torch.relu((weights * activation).sum(dim=1))  # B x h x w
        peak = cam.flatten(1).max(dim=1).values.view(-1, 1, 1)
        cam = torch.where(peak > 0, cam / peak.clamp_min(1e-12), torch.zeros_like(cam))
        return cam.cpu().numpy().astype(np.float32), logits.detach().cpu().numpy()


def upsample(cams: np.ndarray, size: int) -> np.ndarray:
    """Resize B x h x w heatmaps to B x size x size with bilinear interpolation, staying in [0, 1]."""
    tensor = torch.from_numpy(cams).unsqueeze(1)
    resized = nn.functional.interpolate(tensor, size=(size, size), mode="bilinear", align_corners=False)
    return resized.squeeze(1).clamp_(0, 1).numpy()


def mass_inside(cam: np.ndarray, mask: np.ndarray) -> float:
    """Return the share of heatmap mass on mask pixels (mask > 0); NaN for an all-zero heatmap."""
    total = float(cam.sum())
    if total <= 0:
        return float("nan")
    return float(cam[mask > 0].sum() / total)


def explain_images(
    explainer: GradCAM,
    to_input,
    pixels: np.ndarray,
    targets: np.ndarray | None,
    batch_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return heatmaps N x S x S over uint8 N x S x S x 3 images, and the predicted classes.

    `to_input` turns a uint8 batch into model input; `targets` None explains the predicted class.
    """
    size = pixels.shape[1]
    cams = np.zeros((len(pixels), size, size), dtype=np.float32)
    predicted = np.zeros(len(pixels), dtype=np.int64)
    for start in range(0, len(pixels), batch_size):
        stop = min(start + batch_size, len(pixels))
        chosen = None if targets is None else targets[start:stop]
        maps, logits = explainer(to_input(pixels[start:stop]), chosen)
        cams[start:stop] = upsample(maps, size)
        predicted[start:stop] = logits.argmax(1)
    return cams, predicted


def motif_score(cams: np.ndarray, masks: np.ndarray) -> dict[str, float | int | None]:
    """Return the mean share of heatmap mass inside the motif masks, and the masks' mean area share.

    Heatmaps that are zero everywhere explain nothing and are left out of both means.
    """
    inside, area = [], []
    for cam, mask in zip(cams, masks):
        share = mass_inside(cam, mask)
        if np.isfinite(share):
            inside.append(share)
            area.append(float((mask > 0).mean()))
    score: dict[str, float | int | None] = {
        "images_scored": len(inside),
        "images_with_zero_heatmap": len(cams) - len(inside),
        "mass_inside_motif": float(np.mean(inside)) if inside else None,
        "motif_area_share": float(np.mean(area)) if area else None,
    }
    if inside and score["motif_area_share"]:
        score["lift_over_uniform"] = score["mass_inside_motif"] / score["motif_area_share"]
    return score

"""Seeding, preprocessing and the training loop."""

from __future__ import annotations

import copy
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset, TensorDataset

from . import augment as augmentation
from .errors import ConfigError, MissingOutputError
from .models import Net, build
from .progress import format_seconds, log
from .store import atomic_path


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, and ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False


def resolve_device(spec: str) -> torch.device:
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except RuntimeError:
        raise ConfigError(f"train.device: invalid device {spec!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"train.device is {spec!r}, but torch sees no CUDA device; use auto or cpu")
    return device


def to_input(pixels: np.ndarray | torch.Tensor, net: Net, device: torch.device) -> torch.Tensor:
    """Turn uint8 N x H x W x 3 images into normalised N x 3 x S x S float input for `net`."""
    batch = torch.as_tensor(np.asarray(pixels)).to(device).permute(0, 3, 1, 2).float().div_(255.0)
    if batch.shape[-1] != net.input_size or batch.shape[-2] != net.input_size:
        batch = F.interpolate(batch, size=(net.input_size, net.input_size), mode="bilinear", antialias=True, align_corners=False)
    mean = torch.tensor(net.mean, device=device).view(1, 3, 1, 1)
    std = torch.tensor(net.std, device=device).view(1, 3, 1, 1)
    return (batch - mean) / std


@torch.no_grad()
def frozen_features(net: Net, pixels: np.ndarray, batch_size: int, device: torch.device, split_name: str) -> torch.Tensor:
    """Run the frozen prefix once over all images; returns its outputs on the CPU."""
    net.prefix.eval()
    outputs = []
    started = time.perf_counter()
    for start in range(0, len(pixels), batch_size):
        batch = to_input(pixels[start : start + batch_size], net, device)
        outputs.append(net.prefix(batch).cpu())
        done = min(start + batch_size, len(pixels))
        rate = done / max(time.perf_counter() - started, 1e-9)
        if done == len(pixels) or (start // batch_size) % 10 == 0:
            log(f"frozen features ({split_name}): {done}/{len(pixels)} images, {rate:.1f} images/s, "
                f"ETA {format_seconds((len(pixels) - done) / rate)}")
    return torch.cat(outputs)


class _OnlineAugmented(Dataset):
    """Training images with fresh random transforms every epoch, seeded by (seed, epoch, index)."""

    def __init__(self, pixels: np.ndarray, masks: np.ndarray, labels: np.ndarray, pipeline, seed: int):
        self.pixels, self.masks, self.labels = pixels, masks, labels
        self.pipeline, self.seed, self.epoch = pipeline, seed, 0

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        seed = augmentation.sample_seed(self.seed, 2, self.epoch, index)
        image, _ = augmentation.apply(self.pipeline, self.pixels[index], self.masks[index], seed)
        return torch.from_numpy(np.ascontiguousarray(image)), int(self.labels[index])


class _Plain(Dataset):
    def __init__(self, pixels: np.ndarray, labels: np.ndarray):
        self.pixels, self.labels = pixels, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        return torch.from_numpy(np.ascontiguousarray(self.pixels[index])), int(self.labels[index])


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


@dataclass
class History:
    epochs: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    epoch_seconds: list[float] = field(default_factory=list)
    cache_seconds: float = 0.0
    cached: bool = False


def _optimizer(parameters, train: dict[str, Any]) -> torch.optim.Optimizer:
    if train["optimizer"] == "adam":
        return torch.optim.Adam(parameters, lr=train["lr"], weight_decay=train["weight_decay"])
    return torch.optim.SGD(parameters, lr=train["lr"], momentum=0.9, weight_decay=train["weight_decay"])


@torch.no_grad()
def _score(net: Net, inputs: torch.Tensor | np.ndarray, labels: np.ndarray, cached: bool, batch_size: int, device) -> tuple[float, float]:
    """Return mean loss and accuracy of `net` on cached features or raw images."""
    net.eval()
    losses, correct = 0.0, 0
    for start in range(0, len(labels), batch_size):
        chunk = inputs[start : start + batch_size]
        batch = chunk.to(device) if cached else net.prefix(to_input(chunk, net, device))
        logits = net.suffix(batch)
        target = torch.as_tensor(labels[start : start + batch_size], device=device)
        losses += F.cross_entropy(logits, target, reduction="sum").item()
        correct += (logits.argmax(1) == target).sum().item()
    return losses / max(len(labels), 1), correct / max(len(labels), 1)


def fit(
    net: Net,
    train_pixels: np.ndarray,
    train_masks: np.ndarray,
    train_labels: np.ndarray,
    val_pixels: np.ndarray,
    val_labels: np.ndarray,
    params: dict[str, Any],
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> History:
    """Train `net` in place and load the weights of the best validation epoch.

    The best epoch has the highest validation accuracy, ties going to the lower
    validation loss. Without a validation split the last epoch is kept.
    """
    train, augment, seed = params["train"], params["augment"], params["seed"]
    device = resolve_device(train["device"])
    net.model.to(device)
    online = augment["enabled"] and augment["online"]
    has_prefix = len(net.prefix) > 0
    cached = has_prefix and not online
    history = History(cached=cached)
    batch_size = train["batch_size"]

    if cached:
        started = time.perf_counter()
        train_inputs = frozen_features(net, train_pixels, batch_size, device, "train")
        val_inputs = frozen_features(net, val_pixels, batch_size, device, "val") if len(val_labels) else None
        history.cache_seconds = time.perf_counter() - started
        dataset: Dataset = TensorDataset(train_inputs, torch.as_tensor(train_labels))
    else:
        val_inputs = val_pixels
        if online:
            pipeline = augmentation.build(augment, train_pixels.shape[1], tuple(params["data"]["background"]))
            dataset = _OnlineAugmented(train_pixels, train_masks, train_labels, pipeline, seed)
        else:
            dataset = _Plain(train_pixels, train_labels)

    generator = torch.Generator().manual_seed(seed)
    workers = train["num_workers"] if not cached else 0
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        generator=generator,
        num_workers=workers,
        worker_init_fn=_seed_worker if workers else None,
    )
    trainable = [parameter for parameter in net.model.parameters() if parameter.requires_grad]
    optimizer = _optimizer(trainable, train)
    best_key: tuple[float, float] | None = None
    best_state = None
    epochs = train["epochs"]
    for epoch in range(1, epochs + 1):
        if isinstance(dataset, _OnlineAugmented):
            dataset.epoch = epoch
        net.train()
        started = time.perf_counter()
        seen, loss_sum, correct = 0, 0.0, 0
        for inputs, targets in loader:
            targets = targets.to(device)
            if cached:
                features = inputs.to(device)
            else:
                with torch.no_grad():
                    features = net.prefix(to_input(inputs, net, device))
            logits = net.suffix(features)
            loss = F.cross_entropy(logits, targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            seen += len(targets)
            loss_sum += loss.item() * len(targets)
            correct += (logits.argmax(1) == targets).sum().item()
        seconds = time.perf_counter() - started
        history.epoch_seconds.append(seconds)
        row = {"epoch": epoch, "train_loss": loss_sum / seen, "train_acc": correct / seen}
        if len(val_labels):
            row["val_loss"], row["val_acc"] = _score(net, val_inputs, val_labels, cached, batch_size, device)
            key = (row["val_acc"], -row["val_loss"])
        else:
            key = (float(epoch), 0.0)
        if best_key is None or key > best_key:
            best_key, history.best_epoch = key, epoch
            # The frozen prefix never changes, so the trained part is all that needs a copy.
            best_state = copy.deepcopy(net.suffix.state_dict())
        history.epochs.append(row)
        remaining = (epochs - epoch) * sum(history.epoch_seconds) / epoch
        val_text = f" val_loss {row['val_loss']:.4f} val_acc {row['val_acc']:.3f}" if "val_acc" in row else ""
        log(
            f"epoch {epoch}/{epochs} loss {row['train_loss']:.4f} acc {row['train_acc']:.3f}{val_text} "
            f"{seen / seconds:.1f} images/s ETA {format_seconds(remaining)}"
        )
        if on_epoch:
            on_epoch(row)
    net.suffix.load_state_dict(best_state)
    net.eval()
    log(f"kept epoch {history.best_epoch} (best validation accuracy)" if len(val_labels) else "kept the last epoch")
    return history


@torch.no_grad()
def predict(net: Net, pixels: np.ndarray, batch_size: int, device: torch.device) -> np.ndarray:
    """Return N x classes softmax probabilities of `net` on uint8 images."""
    net.eval()
    net.model.to(device)
    outputs = []
    for start in range(0, len(pixels), batch_size):
        logits = net.model(to_input(pixels[start : start + batch_size], net, device))
        outputs.append(torch.softmax(logits, dim=1).cpu())
    if not outputs:
        return np.zeros((0, 0), dtype=np.float32)
    return torch.cat(outputs).numpy()


def checkpoint(net: Net, classes: list[str], params: dict[str, Any], name: str, history: History) -> dict[str, Any]:
    """Return a checkpoint that `torch.load(..., weights_only=True)` reads: weights plus metadata."""
    return {
        "state_dict": {key: value.detach().cpu() for key, value in net.model.state_dict().items()},
        "meta": {
            "name": name,
            "classes": list(classes),
            "arch": net.arch,
            "weights": net.weights,
            "input_size": net.input_size,
            "mean": list(net.mean),
            "std": list(net.std),
            "best_epoch": history.best_epoch,
            "model_params": dict(params["models"][name]),
            "train_params": dict(params["train"]),
            "augment_enabled": params["augment"]["enabled"],
            "seed": params["seed"],
            "torch": str(torch.__version__),
        },
    }


def load_model(path: str | Path, classes: list[str] | None = None, name: str | None = None) -> tuple[Net, dict[str, Any]]:
    """Load a checkpoint with `weights_only=True`; raise ConfigError if its classes differ from `classes`."""
    path = Path(path)
    if not path.is_file():
        raise MissingOutputError(f"checkpoint {path} not found; run `dvc repro` to train it")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    meta = saved["meta"]
    if classes is not None and list(meta["classes"]) != list(classes):
        raise ConfigError(
            f"checkpoint {path} was trained on classes {meta['classes']}, but the data has {list(classes)}; "
            "retrain with `dvc repro` or point data.dir at the data it was trained on"
        )
    net = build(meta["arch"], len(meta["classes"]), pretrained=False, finetune="full", name=name or meta["name"])
    net.model.load_state_dict(saved["state_dict"])
    net.weights = meta["weights"]
    net.eval()
    return net, meta


def save_checkpoint(checkpoint: dict[str, Any], path: str | Path) -> None:
    """Write a checkpoint atomically, byte-identical for identical content."""
    with atomic_path(path) as temporary:
        # torch.save names the archive's records after a path argument; a stream keeps them fixed.
        with temporary.open("wb") as stream:
            torch.save(checkpoint, stream)

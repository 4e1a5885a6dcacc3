"""Speed benchmark: training-loop overhead as a ratio, and the pipeline's stage times.

    python benchmarks/speed.py                 # loop ratio on data/prepared (or random images)
    python benchmarks/speed.py --pipeline      # also `dvc repro --force`, timing every stage

The ratio is one epoch of `ornaments.train.fit` (data loading, preprocessing,
forward, backward, optimizer step) over the pure forward/backward/step time
of the same batches already on the device. Ratios, not seconds, are compared
across machines; the target is at most 1.15.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ornaments import models, params, train  # noqa: E402


def load_images(count: int, size: int) -> tuple[np.ndarray, np.ndarray, int]:
    prepared = ROOT / "data/prepared/images.npy"
    if prepared.is_file():
        pixels = np.load(prepared)[:count]
        print(f"images: {len(pixels)} from data/prepared ({pixels.shape[1]} px)")
    else:
        pixels = np.random.default_rng(0).integers(0, 256, (count, size, size, 3), dtype=np.uint8)
        print(f"images: {count} random ({size} px); run `dvc repro prepare` to use real ones")
    labels = np.arange(len(pixels)) % 3
    return pixels, labels, 3


def loop_ratio(arch: str, finetune: str, count: int, epochs: int, config: dict) -> None:
    pixels, labels, classes = load_images(count, config["data"]["image_size"])
    config = dict(config)
    config["train"] = dict(config["train"], epochs=epochs)
    config["augment"] = dict(config["augment"], online=False)
    device = train.resolve_device(config["train"]["device"])

    train.seed_everything(0)
    net = models.build(arch, classes, pretrained=False, finetune=finetune)
    empty = np.zeros((0,) + pixels.shape[1:], dtype=np.uint8)
    history = train.fit(net, pixels, np.zeros(pixels.shape[:3], np.uint8), labels, empty, np.zeros(0, np.int64), config)
    epoch_seconds = float(np.median(history.epoch_seconds[1:] or history.epoch_seconds))

    # The same batches, preprocessed once and kept on the device: only model work is timed.
    train.seed_everything(0)
    net = models.build(arch, classes, pretrained=False, finetune=finetune)
    net.model.to(device)
    batch_size = config["train"]["batch_size"]
    with torch.no_grad():
        batches = [
            (net.prefix(train.to_input(pixels[start : start + batch_size], net, device)),
             torch.as_tensor(labels[start : start + batch_size], device=device))
            for start in range(0, len(pixels), batch_size)
        ]
    optimizer = torch.optim.Adam([p for p in net.model.parameters() if p.requires_grad], lr=1e-3)
    net.train()
    pure = []
    for _ in range(epochs):
        started = time.perf_counter()
        for inputs, targets in batches:
            loss = F.cross_entropy(net.suffix(inputs), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        pure.append(time.perf_counter() - started)
    pure_seconds = float(np.median(pure[1:] or pure))
    print(
        f"{arch} finetune={finetune}: epoch {epoch_seconds:.3f} s, pure forward/backward {pure_seconds:.3f} s, "
        f"ratio {epoch_seconds / pure_seconds:.3f} (target <= 1.15)"
    )
    if pure_seconds < 0.05:
        print("  an epoch this short measures Python overhead, not training; the frozen part dominates instead")
    if history.cached:
        print(f"  frozen features computed once in {history.cache_seconds:.2f} s (not part of the epoch)")


def pipeline_times() -> None:
    """Run `dvc repro --force` and print each stage's wall time, process start-up included."""
    command = [sys.executable, "-m", "dvc", "repro", "--force"]
    print("running:", " ".join(command[2:]))
    started = time.perf_counter()
    current, current_start, times = None, started, {}
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        match = re.match(r"Running stage '([^']+)'", line)
        if match:
            now = time.perf_counter()
            if current:
                times[current] = now - current_start
            current, current_start = match.group(1), now
    process.wait()
    end = time.perf_counter()
    if current:
        times[current] = end - current_start
    if process.returncode:
        print(f"dvc repro failed with exit code {process.returncode}")
    width = max(map(len, times), default=5)
    for name, seconds in times.items():
        print(f"  {name:<{width}}  {seconds:7.1f} s")
    print(f"  {'total':<{width}}  {end - started:7.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="resnet18", help="torchvision architecture (default resnet18)")
    parser.add_argument("--finetune", default="full", choices=models.FINETUNE, help="what is trained (default full)")
    parser.add_argument("--images", type=int, default=96, help="training images per epoch (default 96)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs; the first is warm-up (default 3)")
    parser.add_argument("--pipeline", action="store_true", help="also time every stage of `dvc repro --force`")
    arguments = parser.parse_args()
    config = params.load(ROOT / "params.yaml")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {config['train']['device']}")
    loop_ratio(arguments.arch, arguments.finetune, arguments.images, arguments.epochs, config)
    if arguments.pipeline:
        pipeline_times()


if __name__ == "__main__":
    main()

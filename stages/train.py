"""Train one entry of params.yaml `models` and keep its best validation epoch.

Usage: python stages/train.py MODEL. Writes models/MODEL/model.pt and the
dvclive log dvclive/train/MODEL/.
"""

import sys

import numpy as np
import torch
from dvclive import Live

from ornaments import models, params, stage, store, train

PREPARED = "data/prepared"
AUGMENTED = "data/augmented"


def main() -> None:
    name = sys.argv[1]
    config = params.load()
    if name not in config["models"]:
        raise ValueError(f"model {name!r} is not in params.yaml models; choose one of {', '.join(config['models'])}")
    model = config["models"][name]
    train.seed_everything(config["seed"])
    prepared = store.load_prepared(PREPARED)
    train_pixels = np.load(f"{AUGMENTED}/images.npy")
    train_masks = np.load(f"{AUGMENTED}/masks.npy")
    train_labels = np.load(f"{AUGMENTED}/labels.npy")
    val = prepared.indices("val")
    net = models.build(model["arch"], len(prepared.classes), model["pretrained"], model["finetune"], model["last_n"], name)
    trainable = sum(parameter.numel() for parameter in net.model.parameters() if parameter.requires_grad)
    print(
        f"{name}: {model['arch']} weights={net.weights} finetune={model['finetune']} "
        f"trainable parameters={trainable:,} input={net.input_size}px, "
        f"{len(train_labels)} training and {len(val)} validation images",
        file=sys.stderr,
    )

    with Live(dir=f"dvclive/train/{name}", dvcyaml=None, save_dvc_exp=False, report=None) as live:
        def log_epoch(row: dict) -> None:
            for key, value in row.items():
                if key != "epoch":
                    split, metric = key.split("_", 1)
                    live.log_metric(f"{split}/{metric}", value)
            live.next_step()

        history = train.fit(
            net, train_pixels, train_masks, train_labels,
            prepared.pixels[val], prepared.labels[val], config, on_epoch=log_epoch,
        )
        live.summary["best_epoch"] = history.best_epoch
        if "val_acc" in history.epochs[history.best_epoch - 1]:
            live.summary["best_val_acc"] = history.epochs[history.best_epoch - 1]["val_acc"]

    checkpoint = train.checkpoint(net, prepared.classes, config, name, history)
    with store.atomic_path(f"models/{name}/model.pt") as temporary:
        torch.save(checkpoint, temporary)


if __name__ == "__main__":
    stage.run(f"train {sys.argv[1] if len(sys.argv) > 1 else ''}".strip(), main)

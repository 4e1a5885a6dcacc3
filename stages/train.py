"""Train one entry of params.yaml `models` and keep its best validation epoch.

Usage: python stages/train.py MODEL. Writes models/MODEL/model.pt and the
dvclive log dvclive/train/MODEL/.
"""

from dvclive import Live

from ornaments import models, params, stage, store, train
from ornaments.progress import log

PREPARED = "data/prepared"
AUGMENTED = "data/augmented"


def main() -> None:
    config = params.load()
    name = stage.model_name(config, "stages/train.py")
    train.seed_everything(config["seed"])
    prepared = store.load_prepared(PREPARED)
    augmented = store.load_augmented(AUGMENTED)
    val = prepared.indices("val")
    net = models.build_from_params(config, name, len(prepared.classes))
    trainable = sum(parameter.numel() for parameter in net.model.parameters() if parameter.requires_grad)
    log(
        f"{name}: {net.arch} weights={net.weights} finetune={config['models'][name]['finetune']} "
        f"trainable parameters={trainable:,} input={net.input_size}px, "
        f"{len(augmented.labels)} training and {len(val)} validation images"
    )

    with Live(dir=f"dvclive/train/{name}", dvcyaml=None, save_dvc_exp=False, report=None) as live:
        def log_epoch(row: dict) -> None:
            for key, value in row.items():
                if key != "epoch":
                    split, metric = key.split("_", 1)
                    live.log_metric(f"{split}/{metric}", value)
            live.next_step()

        history = train.fit(
            net, augmented.pixels, augmented.masks, augmented.labels,
            prepared.pixels[val], prepared.labels[val], config, on_epoch=log_epoch,
        )
        live.summary["best_epoch"] = history.best_epoch
        if "val_acc" in history.epochs[history.best_epoch - 1]:
            live.summary["best_val_acc"] = history.epochs[history.best_epoch - 1]["val_acc"]

    train.save_checkpoint(train.checkpoint(net, prepared.classes, config, name, history), f"models/{name}/model.pt")


if __name__ == "__main__":
    stage.run("train", main)

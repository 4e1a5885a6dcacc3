"""Expand the training split offline: `augment.copies` augmented copies per image, per class if set.

Writes data/augmented/ (images.npy, masks.npy, labels.npy, sources.npy,
copies.npy). With augment.enabled false it contains the original training
images only. Validation and test images are never augmented.
"""

import numpy as np

from ornaments import augment, params, stage, store
from ornaments.progress import log

INPUT = "data/prepared"
OUTPUT = "data/augmented"


def main() -> None:
    config = params.load()
    prepared = store.load_prepared(INPUT)
    train = prepared.indices("train")
    labels = [prepared.rows[index]["label"] for index in train]
    pixels, masks, sources, copies = augment.expand(
        prepared.pixels[train], prepared.masks[train], labels,
        config["augment"], config["data"]["background"], config["seed"],
    )
    class_index = {name: number for number, name in enumerate(prepared.classes)}
    with store.atomic_dir(OUTPUT) as temporary:
        store.save_array(temporary / "images.npy", pixels)
        store.save_array(temporary / "masks.npy", masks)
        store.save_array(temporary / "labels.npy", np.array([class_index[labels[source]] for source in sources]))
        store.save_array(temporary / "sources.npy", train[sources])
        store.save_array(temporary / "copies.npy", copies)
    log(f"training set: {len(train)} images + {int((copies > 0).sum())} augmented copies")


if __name__ == "__main__":
    stage.run("augment", main)

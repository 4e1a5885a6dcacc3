"""Index, validate, deduplicate and split the image folder; decode it once into a cache.

Writes data/prepared/ (manifest.csv, classes.json, images.npy, masks.npy,
intake.json) and the data report metrics/data.json.
"""

import numpy as np

from ornaments import intake, params, split, stage, store
from ornaments.progress import log

OUTPUT = "data/prepared"
REPORT = "metrics/data.json"


def main() -> None:
    config = params.load()
    data = config["data"]
    folder = stage.data_dir(config)
    log(f"reading {folder}")
    found = intake.scan(folder, data["image_size"], data["background"], data["max_pixels"], data["label_conflicts"])
    labels = [image.label for image in found.images]
    splits = split.split(labels, [image.group for image in found.images], config["split"], config["seed"])

    rows = []
    for index, (image, name) in enumerate(zip(found.images, splits)):
        rows.append({
            "index": index, "path": image.path, "label": image.label, "split": name, "group": image.group,
            "width": image.width, "height": image.height, "has_alpha": int(image.has_alpha),
            "pixel_hash": image.pixel_hash,
        })
    with store.atomic_dir(OUTPUT) as temporary:
        store.write_csv(temporary / "manifest.csv", rows, store.MANIFEST_FIELDS)
        store.write_json(temporary / "classes.json", found.classes)
        store.save_array(temporary / "images.npy", np.stack([image.pixels for image in found.images]))
        store.save_array(temporary / "masks.npy", np.stack([image.mask for image in found.images]))
        store.write_json(temporary / "intake.json", found.details())

    report = found.report()
    report["splits"] = {name: splits.count(name) for name in split.SPLITS}
    report["classes"] = {
        label: {name: sum(1 for row in rows if row["label"] == label and row["split"] == name) for name in split.SPLITS}
        | {"total": report["classes"][label]}
        for label in found.classes
    }
    store.write_json(REPORT, report)
    log(
        f"{report['images']} images in {len(found.classes)} classes, {report['skipped_total']} skipped "
        f"{report['skipped']}, splits {report['splits']}"
    )
    for path, reason in found.skipped:
        log(f"  skipped {path}: {reason}")


if __name__ == "__main__":
    stage.run("prepare", main)

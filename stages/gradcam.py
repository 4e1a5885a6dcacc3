"""Explain one trained model with Grad-CAM on the test split.

Usage: python stages/gradcam.py MODEL. Writes one gallery per class,
plots/MODEL/gradcam/CLASS.png (original, heatmap and overlay for
gradcam.per_class test images), and metrics/gradcam/MODEL.json: the share of
heatmap mass inside the motif (the image's alpha) over all test images that
have transparency, against the motif's share of the image area.
"""

import sys
from pathlib import Path

import numpy as np
import torch

from ornaments import gradcam, images, params, plots, stage, store, train

PREPARED = "data/prepared"


def main() -> None:
    name = sys.argv[1]
    config = params.load()
    settings = config["gradcam"]
    prepared = store.load_prepared(PREPARED)
    net, meta = train.load_model(f"models/{name}/model.pt", prepared.classes, name)
    device = train.resolve_device(config["train"]["device"])
    net.model.to(device)
    explainer = gradcam.GradCAM(net.model, settings["layers"][name], net.prefix_tokens)
    test = prepared.indices("test")
    size = prepared.pixels.shape[1]
    labels = prepared.labels

    cams = np.zeros((len(test), size, size), dtype=np.float32)
    predicted = np.zeros(len(test), dtype=np.int64)
    batch_size = config["train"]["batch_size"]
    for start in range(0, len(test), batch_size):
        chunk = test[start : start + batch_size]
        inputs = train.to_input(prepared.pixels[chunk], net, device)
        targets = torch.as_tensor(labels[chunk]) if settings["target"] == "true" else None
        maps, logits = explainer(inputs, targets)
        cams[start : start + len(chunk)] = gradcam.upsample(maps, size)
        predicted[start : start + len(chunk)] = logits.argmax(1)
        print(f"Grad-CAM {name}: {start + len(chunk)}/{len(test)} test images", file=sys.stderr)

    with_alpha = [number for number, index in enumerate(test) if prepared.rows[index]["has_alpha"] == "1"]
    inside = [gradcam.mass_inside(cams[number], prepared.masks[test[number]]) for number in with_alpha]
    inside = [value for value in inside if np.isfinite(value)]
    area = [float((prepared.masks[test[number]] > 0).mean()) for number in with_alpha]
    score = {
        "layer": settings["layers"][name],
        "explained_class": settings["target"],
        "images_with_motif_mask": len(with_alpha),
        "mass_inside_motif": float(np.mean(inside)) if inside else None,
        "motif_area_share": float(np.mean(area)) if area else None,
    }
    if inside and area:
        score["lift_over_uniform"] = score["mass_inside_motif"] / score["motif_area_share"]
    store.write_json(Path("metrics/gradcam") / f"{name}.json", score)

    folder = Path("plots") / name / "gradcam"
    with store.atomic_dir(folder) as temporary:
        for class_number, label in enumerate(prepared.classes):
            chosen = [number for number, index in enumerate(test) if labels[index] == class_number][: settings["per_class"]]
            if not chosen:
                continue
            rows = []
            for number in chosen:
                row = prepared.rows[test[number]]
                decoded = images.decode(stage.data_dir(config) / row["path"], config["data"]["background"], config["data"]["max_pixels"])
                width, height = decoded.size
                rows.append({
                    "image": decoded.rgb,
                    "cam": np.clip(images.unletterbox(cams[number], width, height), 0, 1),
                    "caption": f"{row['path']}\ntrue {label}, predicted {prepared.classes[predicted[number]]}",
                })
            plots.gallery_png(rows, temporary / f"{label}.png", f"{name}: Grad-CAM at {settings['layers'][name]}, class {label}")
    print(f"Grad-CAM {name}: heatmap mass inside motif {score['mass_inside_motif']}, motif area {score['motif_area_share']}", file=sys.stderr)


if __name__ == "__main__":
    stage.run(f"gradcam {sys.argv[1] if len(sys.argv) > 1 else ''}".strip(), main)

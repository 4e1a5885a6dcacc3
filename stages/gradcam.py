"""Explain one trained model with Grad-CAM on the test split.

Usage: python stages/gradcam.py MODEL. Writes one gallery per class,
plots/MODEL/gradcam/CLASS.png, with the original, heatmap and overlay of
gradcam.per_class test images. It also writes metrics/gradcam/MODEL.json,
which compares the heatmap mass inside the motif (the image's opaque pixels)
with the motif's share of the image, over every test image with transparency.
"""

from pathlib import Path

import numpy as np

from ornaments import gradcam, images, params, plots, stage, store, train
from ornaments.progress import log

PREPARED = "data/prepared"


def main() -> None:
    config = params.load()
    name = stage.model_name(config, "stages/gradcam.py")
    settings = config["gradcam"]
    layer = settings["layers"][name]
    train.seed_everything(config["seed"])
    prepared = store.load_prepared(PREPARED)
    net, _ = train.load_model(f"models/{name}/model.pt", prepared.classes, name)
    device = train.resolve_device(config["train"]["device"])
    net.model.to(device)
    explainer = gradcam.GradCAM(net.model, layer, net.prefix_tokens)
    test = prepared.indices("test")
    labels = prepared.labels[test]
    targets = labels if settings["target"] == "true" else None
    cams, predicted = gradcam.explain_images(
        explainer, lambda batch: train.to_input(batch, net, device), prepared.pixels[test], targets,
        config["train"]["batch_size"],
    )
    log(f"Grad-CAM {name}: {len(test)} test images at {layer}")

    with_alpha = np.array([prepared.rows[index]["has_alpha"] == "1" for index in test], dtype=bool)
    score = {"layer": layer, "explained_class": settings["target"], "test_images_with_transparency": int(with_alpha.sum())}
    score |= gradcam.motif_score(cams[with_alpha], prepared.masks[test][with_alpha])
    store.write_json(Path("metrics/gradcam") / f"{name}.json", score)

    with store.atomic_dir(Path("plots") / name / "gradcam") as folder:
        for class_number, label in enumerate(prepared.classes):
            chosen = np.flatnonzero(labels == class_number)[: settings["per_class"]]
            rows = []
            for number in chosen:
                row = prepared.rows[test[number]]
                decoded = images.decode(stage.data_dir(config) / row["path"], config["data"]["background"], config["data"]["max_pixels"])
                width, height = decoded.size
                caption = f"{row['path']}\ntrue {label}, predicted {prepared.classes[predicted[number]]}"
                if cams[number].max() <= 0:
                    caption += "\nheatmap zero everywhere: no positive evidence at this layer"
                rows.append({
                    "image": decoded.rgb,
                    "cam": np.clip(images.unletterbox(cams[number], width, height), 0, 1),
                    "caption": caption,
                })
            if rows:
                plots.gallery_png(rows, folder / f"{label}.png", f"{name}: Grad-CAM at {layer}, class {label}")
    if score["mass_inside_motif"] is None:
        log(f"Grad-CAM {name}: no test image with transparency and a non-zero heatmap; no motif score")
    else:
        log(
            f"Grad-CAM {name}: heatmap mass inside motif {score['mass_inside_motif']:.3f}, motif area share "
            f"{score['motif_area_share']:.3f} over {score['images_scored']} images; "
            f"{score['images_with_zero_heatmap']} zero heatmaps left out"
        )


if __name__ == "__main__":
    stage.run("gradcam", main)

"""Evaluate one trained model on the test split.

Usage: python stages/evaluate.py MODEL. Writes metrics/MODEL.json,
plots/MODEL/test_predictions.csv (the confusion plot data) and
plots/MODEL/confusion.png.
"""

from ornaments import evaluation, params, stage, store, train

PREPARED = "data/prepared"


def main() -> None:
    config = params.load()
    name = stage.model_name(config, "stages/evaluate.py")
    train.seed_everything(config["seed"])
    prepared = store.load_prepared(PREPARED)
    net, meta = train.load_model(f"models/{name}/model.pt", prepared.classes, name)
    device = train.resolve_device(config["train"]["device"])
    test = prepared.indices("test")
    probabilities = train.predict(net, prepared.pixels[test], config["train"]["batch_size"], device)
    evaluation.write_results(name, prepared, test, probabilities, title=f"{name} ({meta['arch']}, weights {meta['weights']})")


if __name__ == "__main__":
    stage.run("evaluate", main)

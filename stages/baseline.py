"""Score the majority-class predictor on the test split, exactly as the models are scored."""

import numpy as np

from ornaments import evaluation, params, stage, store

PREPARED = "data/prepared"


def main() -> None:
    params.load()
    prepared = store.load_prepared(PREPARED, mmap=True)
    train_labels = prepared.labels[prepared.indices("train")]
    majority = int(np.bincount(train_labels, minlength=len(prepared.classes)).argmax())
    test = prepared.indices("test")
    probabilities = np.zeros((len(test), len(prepared.classes)), dtype=np.float32)
    probabilities[:, majority] = 1.0
    evaluation.write_results("baseline", prepared, test, probabilities, title=f"majority class ({prepared.classes[majority]})")


if __name__ == "__main__":
    stage.run("baseline", main)

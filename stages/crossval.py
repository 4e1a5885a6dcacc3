"""Repeated stratified k-fold for one model over all prepared images.

Usage: python stages/crossval.py MODEL. Writes metrics/crossval/MODEL.json
(mean and standard deviation over folds) and plots/MODEL/crossval_folds.json
(one score row per fold). With crossval.folds 0 the mode is off: the summary
records folds 0 and the per-fold list is empty.
"""

from pathlib import Path

from ornaments import crossval, params, stage, store
from ornaments.progress import log

PREPARED = "data/prepared"


def main() -> None:
    config = params.load()
    name = stage.model_name(config, "stages/crossval.py")
    summary_path = Path("metrics/crossval") / f"{name}.json"
    folds_path = Path("plots") / name / "crossval_folds.json"
    if config["crossval"]["folds"] == 0:
        store.write_json(summary_path, {"folds": 0, "repeats": config["crossval"]["repeats"]})
        store.write_json(folds_path, [])
        log("crossval.folds is 0: k-fold mode is off")
        return
    summary, per_fold = crossval.run(config, name, store.load_prepared(PREPARED, mmap=False))
    store.write_json(summary_path, summary)
    store.write_json(folds_path, per_fold)
    log(
        f"crossval {name}: accuracy {summary['accuracy']['mean']:.3f} ± {summary['accuracy']['std']:.3f}, "
        f"macro-F1 {summary['macro_f1']['mean']:.3f} ± {summary['macro_f1']['std']:.3f}"
    )


if __name__ == "__main__":
    stage.run("crossval", main)

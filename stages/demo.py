"""Generate the demo data set into data/demo (drawn motifs in three classes)."""

from ornaments import demo, params, stage, store
from ornaments.progress import log

OUTPUT = "data/demo"


def main() -> None:
    config = params.load()
    with store.atomic_dir(OUTPUT) as folder:
        count = demo.generate(folder, config["demo"]["per_class"], config["demo"]["size"], config["seed"])
    log(f"wrote {count} demo images to {OUTPUT}")


if __name__ == "__main__":
    stage.run("demo", main)

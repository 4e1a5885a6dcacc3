"""Write reports/report.md: baseline vs every model, confusion matrices, Grad-CAM galleries."""

from ornaments import params, report, stage, store
from ornaments.progress import log

OUTPUT = "reports/report.md"


def main() -> None:
    config = params.load()
    page = report.build(".", config["models"], config["report"]["bootstrap"], config["seed"])
    store.write_text(OUTPUT, page)
    log(f"wrote {OUTPUT}")


if __name__ == "__main__":
    stage.run("report", main)

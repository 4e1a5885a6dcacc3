"""Write reports/report.md: baseline vs every model, confusion matrices, Grad-CAM galleries."""

import sys

from ornaments import params, report, stage, store

OUTPUT = "reports/report.md"


def main() -> None:
    config = params.load()
    page = report.build(".", config["models"], config["report"]["bootstrap"], config["seed"])
    store.write_text(OUTPUT, page)
    print(f"wrote {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    stage.run("report", main)

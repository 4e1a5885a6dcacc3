"""What every stage script shares: params, known errors as one-line messages, wall time."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from .gradcam import GradCAMError
from .intake import DataError
from .models import WeightsError
from .params import ParamsError

KNOWN_ERRORS = (ParamsError, DataError, WeightsError, GradCAMError, FileNotFoundError, ValueError)


def data_dir(params: dict) -> Path:
    """Return data.dir; relative paths are relative to the repository root (the working directory)."""
    return Path(params["data"]["dir"]).expanduser()


def run(name: str, main: Callable[[], None]) -> None:
    """Run a stage's main(); print known errors as one line and exit with status 1."""
    started = time.perf_counter()
    try:
        main()
    except KNOWN_ERRORS as error:
        print(f"error in stage {name}: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"stage {name} finished in {time.perf_counter() - started:.1f} s", file=sys.stderr)

"""Helpers shared by the stage scripts: params, the model argument, one-line errors, wall time."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ConfigError, OrnamentsError
from .progress import log


def data_dir(params: dict[str, Any]) -> Path:
    """Return data.dir; relative paths are relative to the repository root (the working directory)."""
    return Path(params["data"]["dir"]).expanduser()


def model_name(params: dict[str, Any], script: str) -> str:
    """Return the MODEL command-line argument of a per-model stage, checked against params.yaml models."""
    if len(sys.argv) != 2:
        raise ConfigError(f"usage: python {script} MODEL, with MODEL one of {', '.join(params['models'])}")
    name = sys.argv[1]
    if name not in params["models"]:
        raise ConfigError(f"model {name!r} is not in params.yaml models; choose one of {', '.join(params['models'])}")
    return name


def run(stage: str, main: Callable[[], None]) -> None:
    """Run a stage's main(); print a known error as one line and exit with status 1.

    `stage` is the DVC stage name; per-model stages get `@MODEL` from the command line.
    """
    if len(sys.argv) == 2:
        stage = f"{stage}@{sys.argv[1]}"
    started = time.perf_counter()
    try:
        main()
    except OrnamentsError as error:
        log(f"stage {stage} failed: {error}")
        sys.exit(1)
    log(f"stage {stage} finished in {time.perf_counter() - started:.1f} s")

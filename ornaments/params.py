"""Load params.yaml and check every key against one schema.

The file is parsed with ruamel.yaml's safe loader, the YAML 1.2 parser that
DVC reads params.yaml with (dvc.utils.serialize.parse_yaml in DVC 3.x), so a
value means the same here as in `dvc params diff` and `dvc exp show`:
`lr: 1e-4` (as `dvc exp run -S train.lr=1e-4` writes it) is a float, `yes`,
`no`, `on` and `off` are strings, `010` is 10, and a duplicate key is an error.
PyYAML's YAML 1.1 reader differs on each of these.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from PIL import ImageColor
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .errors import ParamsError


# YAML 1.2 float syntax, used to accept numbers written as quoted strings too.
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


class Choice:
    def __init__(self, *options: str):
        self.options = options


class Share:
    """A float in [0, 1]."""


class Positive:
    """An int >= 1."""


class NonNegative:
    """An int >= 0."""


class Colour:
    """A colour name or hex code for PIL.ImageColor, or an RGB list of ints in [0, 255]."""


class CountsByClass:
    """A mapping from class name to a non-negative int."""


class MapOf:
    def __init__(self, schema: Any):
        self.schema = schema


MODEL = {
    "arch": str,
    "pretrained": bool,
    "finetune": Choice("full", "head", "last_n"),
    "last_n": Positive,
}

SCHEMA: dict[str, Any] = {
    "seed": NonNegative,
    "data": {
        "dir": str,
        "background": Colour,
        "image_size": Positive,
        "max_pixels": Positive,
        "label_conflicts": Choice("error", "drop", "keep"),
    },
    "demo": {"per_class": Positive, "size": Positive},
    "split": {"train": Share, "val": Share, "test": Share},
    "augment": {
        "enabled": bool,
        "copies": NonNegative,
        "copies_per_class": CountsByClass,
        "online": bool,
        "hflip_p": Share,
        "vflip_p": Share,
        "rotate90_p": Share,
        "rotate_p": Share,
        "rotate_limit": float,
        "affine_p": Share,
        "affine_shear": float,
        "affine_translate": Share,
        "crop_p": Share,
        "crop_scale_min": Share,
        "color_p": Share,
        "color_hue": Share,
        "color_saturation": Share,
        "color_brightness": Share,
    },
    "train": {
        "optimizer": Choice("adam", "sgd"),
        "lr": float,
        "weight_decay": float,
        "batch_size": Positive,
        "epochs": Positive,
        "device": str,
        "num_workers": NonNegative,
    },
    "models": MapOf(MODEL),
    "gradcam": {
        "per_class": Positive,
        "target": Choice("predicted", "true"),
        "layers": MapOf(str),
    },
    "crossval": {"folds": NonNegative, "repeats": Positive},
    "report": {"bootstrap": Positive},
}


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool):
        raise ParamsError(f"{key}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and _FLOAT.match(value.strip()):
        number = float(value)
    else:
        raise ParamsError(f"{key}: expected a number, got {value!r}")
    if not math.isfinite(number):
        raise ParamsError(f"{key}: expected a finite number, got {value!r}")
    return number


def _integer(value: Any, key: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(f"{key}: expected an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ParamsError(f"{key}: expected an integer >= {minimum}, got {value}")
    return value


def _check(value: Any, schema: Any, key: str) -> Any:
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise ParamsError(f"{key or 'params'}: expected a mapping, got {value!r}")
        unknown = sorted(set(value) - set(schema))
        if unknown:
            where = f"{key}." if key else ""
            raise ParamsError(
                f"unknown key {where}{unknown[0]}; valid keys here: {', '.join(schema)}"
            )
        missing = [name for name in schema if name not in value]
        if missing:
            where = f"{key}." if key else ""
            raise ParamsError(f"missing key {where}{missing[0]}")
        return {
            name: _check(value[name], sub, f"{key}.{name}" if key else name)
            for name, sub in schema.items()
        }

    if isinstance(schema, MapOf):
        if not isinstance(value, dict) or not value:
            raise ParamsError(f"{key}: expected a non-empty mapping, got {value!r}")
        return {str(name): _check(item, schema.schema, f"{key}.{name}") for name, item in value.items()}

    if isinstance(schema, Choice):
        if value not in schema.options:
            raise ParamsError(
                f"{key}: invalid value {value!r}; expected one of {', '.join(schema.options)}"
            )
        return value

    if schema is bool:
        if not isinstance(value, bool):
            raise ParamsError(f"{key}: expected true or false, got {value!r}")
        return value

    if schema is str:
        if not isinstance(value, str) or not value:
            raise ParamsError(f"{key}: expected a non-empty string, got {value!r}")
        return value

    if schema is float:
        return _number(value, key)

    if schema is Share:
        number = _number(value, key)
        if not 0.0 <= number <= 1.0:
            raise ParamsError(f"{key}: expected a number in [0, 1], got {value!r}")
        return number

    if schema is Positive:
        return _integer(value, key, 1)

    if schema is NonNegative:
        return _integer(value, key, 0)

    if schema is Colour:
        if isinstance(value, str):
            try:
                return ImageColor.getrgb(value)[:3]
            except ValueError:
                raise ParamsError(
                    f"{key}: invalid colour {value!r}; use a name such as white, a hex code such as '#ffffff', "
                    "or an RGB list such as [255, 255, 255]"
                ) from None
        if not (isinstance(value, list) and len(value) == 3):
            raise ParamsError(f"{key}: expected a colour name, a hex code or an RGB list, got {value!r}")
        for channel in value:
            if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel <= 255:
                raise ParamsError(f"{key}: RGB values must be integers in [0, 255], got {value!r}")
        return tuple(value)

    if schema is CountsByClass:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ParamsError(f"{key}: expected a mapping of class name to count, got {value!r}")
        return {str(name): _integer(count, f"{key}.{name}", 0) for name, count in value.items()}

    raise TypeError(f"no check for schema {schema!r}")


def validate(raw: Any) -> dict[str, Any]:
    """Validate raw params and return them converted; raise ParamsError naming the first bad key."""
    params = _check(raw, SCHEMA, "")
    split = params["split"]
    total = split["train"] + split["val"] + split["test"]
    if abs(total - 1.0) > 1e-6:
        raise ParamsError(f"split.train + split.val + split.test must be 1, got {total:g}")
    if split["train"] == 0 or split["test"] == 0:
        raise ParamsError(f"split.train and split.test must be above 0, got {split['train']:g} and {split['test']:g}")
    if params["train"]["lr"] <= 0:
        raise ParamsError(f"train.lr: expected a number above 0, got {params['train']['lr']}")
    for key in ("train.weight_decay", "augment.rotate_limit", "augment.affine_shear"):
        section, name = key.split(".")
        if params[section][name] < 0:
            raise ParamsError(f"{key}: expected a number >= 0, got {params[section][name]}")
    if params["crossval"]["folds"] == 1:
        raise ParamsError("crossval.folds: expected 0 (off) or at least 2, got 1")
    for name in params["models"]:
        if name not in params["gradcam"]["layers"]:
            raise ParamsError(
                f"gradcam.layers.{name} is missing: give the target layer for model {name}"
            )
    return params


def load(path: str | Path = "params.yaml") -> dict[str, Any]:
    """Read and validate a params file."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"params file not found: {path}; run the stage from the repository root")
    try:
        raw = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except YAMLError as error:
        raise ParamsError(f"{path}: invalid YAML: {error}") from None
    try:
        return validate(raw)
    except ParamsError as error:
        raise ParamsError(f"{path}: {error}") from None

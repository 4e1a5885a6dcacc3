"""params.load and params.validate: the repository's params.yaml, YAML 1.2 values and schema errors."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from ornaments import params

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def repository_params() -> dict:
    return params.load(ROOT / "params.yaml")


def write_with(tmp_path: Path, key: str, value: str) -> Path:
    """Copy the repository's params.yaml with the YAML text of one second-level `key` replaced by `value`.

    Comments and layout stay as they are, so the copy reads like a file that a person or DVC edited.
    """
    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    pattern = re.compile(rf"^(  {re.escape(key)}:)[^#\n]*", re.MULTILINE)
    assert len(pattern.findall(text)) == 1, f"params.yaml has no single line for the key {key!r}"
    path = tmp_path / "params.yaml"
    path.write_text(pattern.sub(lambda match: f"{match.group(1)} {value} ", text), encoding="utf-8")
    return path


def raw_params() -> dict:
    """Return the repository's params as the parser returns them, before validation."""
    from ruamel.yaml import YAML

    return YAML(typ="safe").load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def test_repository_params_validate(repository_params):
    assert set(repository_params) == set(params.SCHEMA)
    assert isinstance(repository_params["train"]["lr"], float)
    assert repository_params["data"]["background"] == (255, 255, 255)
    for name in repository_params["models"]:
        assert name in repository_params["gradcam"]["layers"]


def test_lr_exponent_unquoted_is_float(tmp_path):
    path = write_with(tmp_path, "lr", "1e-4")

    lr = params.load(path)["train"]["lr"]

    assert type(lr) is float
    assert lr == 0.0001


def test_lr_exponent_with_plus_and_capital(tmp_path):
    path = write_with(tmp_path, "lr", "1.5E+2")

    assert params.load(path)["train"]["lr"] == 150.0


def test_unknown_key_rejected(tmp_path):
    path = write_with(tmp_path, "lr", "0.001\n  lrr: 0.001")

    with pytest.raises(params.ParamsError) as error:
        params.load(path)

    assert "train.lrr" in str(error.value)
    assert str(path) in str(error.value)


def test_missing_key_rejected():
    raw = raw_params()
    del raw["train"]["epochs"]

    with pytest.raises(params.ParamsError, match=r"missing key train\.epochs"):
        params.validate(raw)


def test_epochs_string_rejected(tmp_path):
    path = write_with(tmp_path, "epochs", '"ten"')

    with pytest.raises(params.ParamsError, match=r"train\.epochs.*'ten'"):
        params.load(path)


def test_epochs_float_rejected():
    raw = raw_params()
    raw["train"]["epochs"] = 10.0

    with pytest.raises(params.ParamsError, match=r"train\.epochs"):
        params.validate(raw)


def test_enabled_quoted_yes_rejected(tmp_path):
    path = write_with(tmp_path, "enabled", '"yes"')

    with pytest.raises(params.ParamsError, match=r"augment\.enabled.*'yes'"):
        params.load(path)


def test_enabled_bare_yes_rejected(tmp_path):
    # YAML 1.2, which DVC reads params with, reads a bare `yes` as a string.
    path = write_with(tmp_path, "enabled", "yes")

    with pytest.raises(params.ParamsError, match=r"augment\.enabled.*'yes'"):
        params.load(path)


def test_leading_zero_is_decimal(tmp_path):
    # YAML 1.1 reads 010 as octal 8, but YAML 1.2 and DVC read 10.
    path = write_with(tmp_path, "epochs", "010")

    assert params.load(path)["train"]["epochs"] == 10


def test_duplicate_key_rejected(tmp_path):
    path = write_with(tmp_path, "epochs", "10\n  epochs: 20")

    with pytest.raises(params.ParamsError, match="duplicate key"):
        params.load(path)


def test_lr_bool_rejected():
    raw = raw_params()
    raw["train"]["lr"] = True

    with pytest.raises(params.ParamsError, match=r"train\.lr"):
        params.validate(raw)


def test_lr_zero_rejected():
    raw = raw_params()
    raw["train"]["lr"] = 0

    with pytest.raises(params.ParamsError, match=r"train\.lr"):
        params.validate(raw)


def test_split_sum_rejected():
    raw = raw_params()
    raw["split"].update(train=0.7, val=0.2, test=0.2)

    with pytest.raises(params.ParamsError) as error:
        params.validate(raw)

    assert "split.train + split.val + split.test must be 1" in str(error.value)
    assert "1.1" in str(error.value)


def test_split_share_above_one_rejected():
    raw = raw_params()
    raw["split"].update(train=1.2, val=-0.1, test=-0.1)

    with pytest.raises(params.ParamsError, match=r"split\.train"):
        params.validate(raw)


def test_model_without_gradcam_layer_rejected():
    raw = raw_params()
    raw["models"]["resnet50"] = copy.deepcopy(raw["models"]["resnet18"])
    raw["models"]["resnet50"]["arch"] = "resnet50"

    with pytest.raises(params.ParamsError) as error:
        params.validate(raw)

    assert "gradcam.layers.resnet50" in str(error.value)
    assert "model resnet50" in str(error.value)


def test_model_finetune_choice_rejected():
    raw = raw_params()
    raw["models"]["resnet18"]["finetune"] = "partial"

    with pytest.raises(params.ParamsError, match=r"models\.resnet18\.finetune.*'partial'"):
        params.validate(raw)


def test_missing_file_rejected(tmp_path):
    with pytest.raises(params.ParamsError, match="params file not found"):
        params.load(tmp_path / "absent.yaml")


def test_dvc_set_param_keeps_comments(tmp_path):
    """`dvc exp run -S` rewrites params.yaml with DVC's own code; no comment may be lost."""
    from dvc.utils.hydra import apply_overrides

    path = tmp_path / "params.yaml"
    original = (ROOT / "params.yaml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    apply_overrides(path, ["train.lr=1e-4", "augment.enabled=false"])
    apply_overrides(path, ["gradcam.per_class=2"])

    edited = path.read_text(encoding="utf-8")
    comments = [line.strip() for line in original.splitlines() if line.strip().startswith("#")]
    edited_lines = {line.strip() for line in edited.splitlines()}
    lost = [comment for comment in comments if comment not in edited_lines]
    assert lost == []
    changed = params.load(path)
    assert changed["train"]["lr"] == 0.0001
    assert changed["augment"]["enabled"] is False
    assert changed["gradcam"]["per_class"] == 2

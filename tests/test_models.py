"""models.build, the prefix/suffix split, ImageNet weight loading and the checkpoint round trip.

No test reaches the network: the weight tests use a temporary TORCH_HOME and
send any download torchvision attempts to a closed port on 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
import torch
from torch import nn
from torchvision import models as tv_models
from torchvision.models import ResNet18_Weights, VisionTransformer

from ornaments import models, params, train

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ["Flora", "Geo", "Zoo"]
MARKED_VALUE = 0.4242  # written into conv1.weight[0, 0, 0, 0] of the stand-in weights file


def trainable_names(net: models.Net) -> set[str]:
    return {name for name, parameter in net.model.named_parameters() if parameter.requires_grad}


def parameter_names(model: nn.Module, *prefixes: str) -> set[str]:
    return {name for name, _ in model.named_parameters() if name.startswith(prefixes)}


def tiny_vit(num_classes: int = 3) -> VisionTransformer:
    return VisionTransformer(
        image_size=32, patch_size=16, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=num_classes
    )


def assert_split_consistent(net: models.Net) -> None:
    prefix_ids = {id(parameter) for parameter in net.prefix.parameters()}
    suffix_ids = {id(parameter) for parameter in net.suffix.parameters()}
    model_ids = {id(parameter) for parameter in net.model.parameters()}
    assert not prefix_ids & suffix_ids, "a parameter is in both the prefix and the suffix"
    assert prefix_ids | suffix_ids == model_ids, "prefix and suffix do not cover the model's parameters"
    assert all(parameter.requires_grad for parameter in net.suffix.parameters())
    assert not any(parameter.requires_grad for parameter in net.prefix.parameters())


# ---------------------------------------------------------------- heads


def test_resnet_head_replaced():
    net = models.build("resnet18", 5, pretrained=False)

    assert net.model.fc.out_features == 5
    assert net.model(torch.randn(2, 3, 64, 64)).shape == (2, 5)
    assert net.weights == "none"
    assert net.prefix_tokens == 0


def test_vit_head_replaced():
    net = models.build("vit_b_16", 5, pretrained=False)

    assert net.model.heads.head.out_features == 5
    assert net.model.heads.head.in_features == 768
    assert net.input_size == 224
    assert net.prefix_tokens == 1


# ---------------------------------------------------------------- finetune modes


RESNET_TRAINABLE = {
    ("full", 1): ("",),
    ("head", 1): ("fc.",),
    ("last_n", 1): ("layer4.", "fc."),
    ("last_n", 3): ("layer2.", "layer3.", "layer4.", "fc."),
}


@pytest.mark.parametrize(("finetune", "last_n"), list(RESNET_TRAINABLE))
def test_resnet_finetune_freezes(finetune, last_n):
    net = models.build("resnet18", 3, pretrained=False, finetune=finetune, last_n=last_n)

    assert trainable_names(net) == parameter_names(net.model, *RESNET_TRAINABLE[finetune, last_n])
    assert_split_consistent(net)


@pytest.mark.parametrize(("finetune", "last_n"), list(RESNET_TRAINABLE))
def test_resnet_suffix_prefix_equals_model(finetune, last_n):
    net = models.build("resnet18", 3, pretrained=False, finetune=finetune, last_n=last_n)
    net.eval()
    images = torch.randn(2, 3, 64, 64)

    with torch.no_grad():
        whole = net.model(images)
        split = net.suffix(net.prefix(images))

    assert torch.equal(split, whole)


VIT_TRAINABLE = {
    ("full", 1): ("",),
    ("head", 1): ("heads.",),
    ("last_n", 1): ("encoder.layers.encoder_layer_11.", "encoder.ln.", "heads."),
    ("last_n", 2): ("encoder.layers.encoder_layer_10.", "encoder.layers.encoder_layer_11.", "encoder.ln.", "heads."),
}


@pytest.mark.parametrize(("finetune", "last_n"), list(VIT_TRAINABLE))
def test_vit_finetune_freezes(finetune, last_n):
    net = models.build("vit_b_16", 3, pretrained=False, finetune=finetune, last_n=last_n)

    assert trainable_names(net) == parameter_names(net.model, *VIT_TRAINABLE[finetune, last_n])
    assert_split_consistent(net)


def test_vit_suffix_prefix_equals_model():
    net = models.build("vit_b_16", 3, pretrained=False, finetune="last_n", last_n=1)
    net.eval()
    images = torch.randn(1, 3, 224, 224)

    with torch.no_grad():
        whole = net.model(images)
        split = net.suffix(net.prefix(images))

    assert torch.allclose(split, whole, rtol=0, atol=1e-6)


@pytest.mark.parametrize(("finetune", "last_n"), [("full", 1), ("head", 1), ("last_n", 1), ("last_n", 2)])
def test_tiny_vit_suffix_prefix_equals_model(finetune, last_n):
    vit = tiny_vit().eval()
    prefix_parts, suffix_parts = models._parts(vit, finetune, last_n, "tiny")
    prefix = nn.Sequential(*prefix_parts).eval()
    suffix = nn.Sequential(*suffix_parts).eval()
    images = torch.randn(3, 3, 32, 32)

    with torch.no_grad():
        whole = vit(images)
        split = suffix(prefix(images))

    assert torch.allclose(split, whole, rtol=0, atol=1e-6)


@pytest.mark.parametrize("arch", ["resnet18", "vit_b_16"])
def test_train_mode_reaches_suffix_only(arch):
    net = models.build(arch, 3, pretrained=False, finetune="last_n", last_n=1)

    net.train()

    assert all(module.training for module in net.suffix.modules())
    assert not any(module.training for module in net.prefix.modules())


def test_vit_prefix_excludes_head():
    net = models.build("vit_b_16", 3, pretrained=False, finetune="head")
    prefix_ids = {id(parameter) for parameter in net.prefix.parameters()}

    assert id(net.model.heads.head.weight) not in prefix_ids
    assert id(net.model.conv_proj.weight) in prefix_ids
    assert id(net.model.class_token) in prefix_ids


def test_random_partial_finetune_warns(capsys):
    models.build("resnet18", 3, pretrained=False, finetune="head")

    assert "randomly initialised" in capsys.readouterr().err


# ---------------------------------------------------------------- invalid settings


@pytest.mark.parametrize(("arch", "last_n", "blocks"), [("resnet18", 5, 4), ("vit_b_16", 13, 12)])
def test_last_n_above_block_count(arch, last_n, blocks):
    with pytest.raises(ValueError) as error:
        models.build(arch, 3, pretrained=False, finetune="last_n", last_n=last_n, name="mine")

    assert f"models.mine.last_n is {last_n}" in str(error.value)
    assert f"has {blocks} blocks" in str(error.value)


def test_last_n_zero_rejected():
    with pytest.raises(ValueError, match="models.resnet18.last_n is 0"):
        models.build("resnet18", 3, pretrained=False, finetune="last_n", last_n=0)


@pytest.mark.parametrize("arch", ["alexnet", "not_a_model"])
def test_unsupported_arch_named(arch):
    with pytest.raises(ValueError) as error:
        models.build(arch, 3, pretrained=False, name="mine")

    assert repr(arch) in str(error.value)
    assert "models.mine.arch" in str(error.value)


def test_invalid_finetune_named():
    with pytest.raises(ValueError, match="models.resnet18.finetune: invalid value 'partial'"):
        models.build("resnet18", 3, pretrained=False, finetune="partial")


# ---------------------------------------------------------------- ImageNet weights


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch) -> Path:
    """An empty TORCH_HOME, with every download torchvision attempts refused by a closed local port."""
    home = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.delenv("TORCH_HUB", raising=False)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    proxy = f"http://127.0.0.1:{closed_port}"
    for variable in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(variable, proxy)
    for variable in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    # urlopen caches its opener, with the proxies read from the environment, on first use.
    monkeypatch.setattr(urllib.request, "_opener", None)

    assert torch.hub.get_dir() == str(home / "hub"), "torch.hub.set_dir() was called, so TORCH_HOME is ignored"
    return home


def expected_weights_path(home: Path) -> Path:
    return home / "hub" / "checkpoints" / os.path.basename(urlparse(ResNet18_Weights.IMAGENET1K_V1.url).path)


def write_stand_in_weights(path: Path) -> dict[str, torch.Tensor]:
    state = tv_models.resnet18().state_dict()
    state["conv1.weight"][0, 0, 0, 0] = MARKED_VALUE
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return state


def test_weights_file_under_torch_home(torch_home):
    path = models.weights_file("resnet18")

    assert path == expected_weights_path(torch_home)
    assert path.name == "resnet18-f37072fd.pth"


def test_pretrained_loads_cached_file(torch_home):
    state = write_stand_in_weights(expected_weights_path(torch_home))

    net = models.build("resnet18", 3, pretrained=True, finetune="head")

    assert net.model.conv1.weight[0, 0, 0, 0].item() == pytest.approx(MARKED_VALUE)
    loaded = net.model.state_dict()
    for key, value in state.items():
        if not key.startswith("fc."):
            assert torch.equal(loaded[key], value), key
    assert net.model.fc.out_features == 3
    assert net.weights == "ResNet18_Weights.IMAGENET1K_V1"
    assert tv_models.get_weight(net.weights) is ResNet18_Weights.IMAGENET1K_V1


def test_pretrained_missing_file_raises(torch_home):
    path = expected_weights_path(torch_home)
    started = time.perf_counter()

    with pytest.raises(models.WeightsError) as error:
        models.build("resnet18", 3, pretrained=True, name="mine")

    assert time.perf_counter() - started < 30
    assert isinstance(error.value.__cause__, urllib.error.URLError)
    assert isinstance(error.value.__cause__.reason, ConnectionRefusedError), "the download was not sent to the closed port"
    assert str(path) in str(error.value)
    assert "models.mine.pretrained: false" in str(error.value)
    assert not path.exists()


def test_pretrained_partial_file_raises(torch_home):
    path = expected_weights_path(torch_home)
    write_stand_in_weights(path)
    complete = path.read_bytes()
    path.write_bytes(complete[: len(complete) // 2])

    with pytest.raises(models.WeightsError) as error:
        models.build("resnet18", 3, pretrained=True)

    assert str(path) in str(error.value)
    assert "partial download" in str(error.value)


def test_pretrained_garbage_file_raises(torch_home):
    path = expected_weights_path(torch_home)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"<html>proxy login page</html>")

    with pytest.raises(models.WeightsError, match="models.resnet18.pretrained: false"):
        models.build("resnet18", 3, pretrained=True)


# ---------------------------------------------------------------- checkpoints


@pytest.fixture
def saved_resnet(tmp_path: Path) -> tuple[Path, models.Net]:
    """A resnet18 with trained-looking batch norm statistics, saved as the train stage saves it."""
    net = models.build("resnet18", len(CLASSES), pretrained=False, finetune="last_n", last_n=1, name="resnet18")
    net.model.train()
    with torch.no_grad():
        net.model(torch.randn(4, 3, 64, 64) * 3 + 1)  # moves the batch norm running statistics
    net.eval()
    config = params.load(ROOT / "params.yaml")
    history = train.History(best_epoch=3)
    path = tmp_path / "model.pt"
    torch.save(train.checkpoint(net, CLASSES, config, "resnet18", history), path)
    return path, net


def test_checkpoint_loads_weights_only(saved_resnet):
    path, _ = saved_resnet

    saved = torch.load(path, map_location="cpu", weights_only=True)

    assert saved["meta"]["classes"] == CLASSES
    assert saved["meta"]["best_epoch"] == 3


def test_checkpoint_round_trip_outputs(saved_resnet):
    path, original = saved_resnet
    pixels = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)

    loaded, meta = train.load_model(path, CLASSES)

    device = torch.device("cpu")
    with torch.no_grad():
        expected = original.model(train.to_input(pixels, original, device))
        actual = loaded.model(train.to_input(pixels, loaded, device))
    assert torch.equal(actual, expected)
    assert not loaded.model.training
    assert loaded.weights == "none"
    assert meta["arch"] == "resnet18"


def test_checkpoint_class_mismatch_named(saved_resnet):
    path, _ = saved_resnet
    other = ["Flora", "Geo", "Bird"]

    with pytest.raises(ValueError) as error:
        train.load_model(path, other)

    assert str(CLASSES) in str(error.value)
    assert str(other) in str(error.value)

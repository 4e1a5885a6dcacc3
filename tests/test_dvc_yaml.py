"""dvc.yaml lists, for every stage, the code it runs: a missed module would not rerun the stage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

# Modules that only word messages; a change to them need not rerun a stage.
MESSAGE_ONLY = {"errors", "progress"}


def imported_modules(path: Path) -> set[str]:
    """Return the ornaments modules that one file imports directly."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.module == "ornaments" or (node.level == 1 and node.module is None):
            found.update(alias.name for alias in node.names)
        elif node.module and node.module.startswith("ornaments."):
            found.add(node.module.split(".")[1])
        elif node.level == 1 and node.module:
            found.add(node.module.split(".")[0])
    return {name for name in found if (ROOT / "ornaments" / f"{name}.py").is_file()}


def import_closure(script: Path) -> set[str]:
    seen: set[str] = set()
    pending = list(imported_modules(script))
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(imported_modules(ROOT / "ornaments" / f"{name}.py"))
    return seen - MESSAGE_ONLY


STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_code_deps(name):
    stage = STAGES[name].get("do", STAGES[name])
    script = ROOT / "stages" / f"{name}.py"
    assert stage["cmd"].startswith(f"python stages/{name}.py")
    deps = {dep for dep in stage["deps"] if dep.startswith(("stages/", "ornaments/"))}
    expected = {f"stages/{name}.py"} | {f"ornaments/{module}.py" for module in import_closure(script)}
    assert deps == expected


def test_every_stage_script_in_dvc_yaml():
    scripts = {path.stem for path in (ROOT / "stages").glob("*.py")}
    assert scripts == set(STAGES)

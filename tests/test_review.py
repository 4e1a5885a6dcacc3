"""The pull-request workflow's steps, run locally on a temporary repository."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from conftest import ROOT, tiny_params

pytestmark = pytest.mark.slow

WORKFLOW = ROOT / ".github/workflows/pr-review.yml"
# Steps that need GitHub itself: the runner's set-up actions, the package install
# (done by this test environment already), the artifact upload and the comment.
GITHUB_ONLY = {"Install", "Upload the plots diff", "Post the review comment"}


def workflow_steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return workflow["jobs"]["review"]["steps"]


def local_command(step: dict, base_ref: str) -> str:
    """Return a step's shell command with the GitHub expressions it uses filled in for a local run."""
    command = step["run"].replace("${{ github.base_ref }}", base_ref)
    left = re.findall(r"\$\{\{[^}]*\}\}", command)
    assert not left, f"step {step.get('name')!r} uses {left}, which a local run cannot fill in"
    return command


def test_workflow_posts_what_review_writes():
    steps = {step.get("name"): step for step in workflow_steps()}
    review = steps["Run the pipeline on base and head"]["run"]
    post = steps["Post the review comment"]["run"]
    output = review.split()[-1]
    assert f"--body-file {output}/review.md" in post
    assert steps["Upload the plots diff"]["with"]["path"] == f"{output}/plots"


def test_workflow_steps_run_locally(repo):
    repo.dvc("repro")
    repo.commit("Run the pipeline")
    repo.run("git", "branch", "-M", "main")
    repo.run("git", "checkout", "-q", "-b", "feature")
    repo.write_params(tiny_params(train__lr=0.01))
    repo.commit("Raise the learning rate")

    ran = []
    for step in workflow_steps():
        if "run" not in step or step.get("name") in GITHUB_ONLY:
            continue
        # origin/<base> on GitHub; the local base branch here.
        command = local_command(step, "main").replace("origin/main", "main")
        result = subprocess.run(
            ["bash", "-e", "-c", command], cwd=repo.path, env=repo.env, capture_output=True, text=True, timeout=1800
        )
        assert result.returncode == 0, f"step {step['name']!r} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        ran.append(step["name"])
    assert "Run the pipeline on base and head" in ran

    review = (repo.path / "review/review.md").read_text(encoding="utf-8")
    assert "| Path" in review
    assert "metrics/resnet18.json" in review
    assert "McNemar" in review
    assert (repo.path / "review/plots/index.html").is_file()
    status = repo.run("git", "status", "--porcelain", "--untracked-files=no").stdout
    assert status == "", "the review changed tracked files of the workspace"

#!/usr/bin/env bash
# Review a change the way the pull-request workflow does. The pipeline runs at
# the small configuration in .ci/review.params on BASE and on HEAD, each in its
# own git worktree. The DVC metrics diff, the plots diff and the paired
# before/after comparison go to OUT (default: review/).
#
#   .ci/pr-review.sh BASE [OUT]        e.g. .ci/pr-review.sh origin/main
#
# The workspace is not touched; the two runs stay as the DVC experiments
# review-base and review-head (`dvc exp remove review-base review-head`).
set -euo pipefail
base="${1:?usage: .ci/pr-review.sh BASE [OUT]}"
out="${2:-review}"
root="$(git rev-parse --show-toplevel)"
cd "$root"
git rev-parse --verify --quiet "$base^{commit}" >/dev/null || {
  echo "error: $base is not a git revision; fetch it first (git fetch origin)" >&2
  exit 1
}

overrides=()
while IFS= read -r line; do
  case "$line" in ""|"#"*) ;; *) overrides+=(-S "$line") ;; esac
done < .ci/review.params

scratch="$(mktemp -d)"
cleanup() {
  git worktree remove --force "$scratch/base" 2>/dev/null || true
  git worktree remove --force "$scratch/head" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

dvc exp remove review-base review-head >/dev/null 2>&1 || true
for side in base head; do
  revision="$base"; [ "$side" = head ] && revision=HEAD
  git worktree add --quiet --detach "$scratch/$side" "$revision"
  echo "== running the small configuration on $side ($(git rev-parse --short "$revision"))"
  (cd "$scratch/$side" && dvc exp run --name "review-$side" "${overrides[@]}")
done

mkdir -p "$out"
{
  echo "## DVC metrics: base vs head (small configuration, see .ci/review.params)"
  echo
  dvc metrics diff review-base review-head --md --all
  echo
  python -m ornaments.compare review-base review-head --resamples 500
} > "$out/review.md"
dvc plots diff review-base review-head --out "$out/plots" >/dev/null
echo "wrote $out/review.md and $out/plots/index.html"

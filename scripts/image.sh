#!/usr/bin/env bash
# Builds Ferry's container image on a machine without a Docker engine or
# registry access: the debian:bookworm-slim base is made locally from
# Debian's packages (mmdebstrap, then `podman import`), and the Dockerfile is
# built with `podman build --isolation=chroot` (the only isolation that works
# in this kind of sandbox). Prints the build time.
#
#   scripts/image.sh [TAG]      (default localhost/ferry:dev; env IMAGE overrides)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TAG=${1:-${IMAGE:-localhost/ferry:dev}}
BASE=docker.io/library/debian:bookworm-slim
cd "$REPO"

for tool in podman mmdebstrap; do
  if ! command -v "$tool" >/dev/null; then
    echo "image: $tool is missing (scripts/install-deps.sh image)" >&2
    exit 1
  fi
done

if ! podman image exists "$BASE"; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  t0=$(date +%s)
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$tmp/base.tar"
  # An imported tarball has no image config: give it the usual PATH.
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$tmp/base.tar" "$BASE" >/dev/null
  echo "image: base $BASE made with mmdebstrap in $(( $(date +%s) - t0 )) s"
fi

t0=$(date +%s)
# FERRY_TORCH=1 also builds the PyTorch backend and installs libtorch in the image.
podman build --isolation=chroot --layers ${FERRY_TORCH:+--build-arg FERRY_TORCH=$FERRY_TORCH} \
  -t "$TAG" -f Dockerfile .
size=$(podman image inspect "$TAG" --format '{{.Size}}')
echo "image: $TAG built in $(( $(date +%s) - t0 )) s ($size bytes)"

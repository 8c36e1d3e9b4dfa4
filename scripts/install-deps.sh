#!/usr/bin/env bash
# Installs the Debian packages Ferry's build, tests and benchmarks need.
# Idempotent and non-interactive: packages already present are skipped, so a
# second run costs a dpkg query and nothing else.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libsimdjson-dev nlohmann-json3-dev libyaml-cpp-dev
  libxgboost-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev libarchive-dev
  zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
)
TEST_PKGS=(
  curl python3 python3-requests python3-sklearn python3-xgboost python3-numpy
  python3-yaml python3-boto3 python3-botocore awscli python3-kubernetes
  nodejs npm iproute2 chromium
  python3-grpcio python3-protobuf python3-jsonschema
)
# The PyTorch backend (libferry_pytorch.so) and its parity tests only: without
# them everything else builds and `ferry --version` reports pytorch not built.
TORCH_PKGS=(libtorch-dev python3-torch)
BENCH_PKGS=(wrk nginx-light valgrind clang libclang-rt-14-dev)  # + `make fuzz`
# `make image` / `make image-test` only: podman (chroot isolation) and a local
# debian:bookworm-slim made by mmdebstrap.
IMAGE_PKGS=(podman mmdebstrap uidmap fuse-overlayfs)

want=("${BUILD_PKGS[@]}")
case "${1:-all}" in
  build) ;;
  torch) want=("${TORCH_PKGS[@]}") ;;
  test) want+=("${TEST_PKGS[@]}" "${TORCH_PKGS[@]}") ;;
  all) want+=("${TEST_PKGS[@]}" "${TORCH_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
  image) want=("${IMAGE_PKGS[@]}") ;;
  image-test) want+=("${TEST_PKGS[@]}" "${IMAGE_PKGS[@]}") ;;
  *) echo "usage: $0 [build|torch|test|all|image|image-test]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # node/npm may come from outside Debian on some images; accept them if on PATH.
  if [[ $p == nodejs ]] && command -v node >/dev/null; then continue; fi
  if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

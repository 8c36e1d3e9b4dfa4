# Ferry's container image: the same binary as `ferry up` / `ferry serve`, used
# on Kubernetes as a KServe ServingRuntime (kserve-container) and as the
# storage-initializer init container (see deploy/kserve/ and docs/kubernetes.md).
#
#   make image        # podman build --isolation=chroot, base made by mmdebstrap
#   docker build -t ferry:dev .
#
# Two stages: `build` has the compilers and -dev packages (installed by the same
# scripts/install-deps.sh developers use); the final stage has only the shared
# libraries the binary links against and starts `ferry`, so the runtime's args
# (`serve --model_name=... --model_dir=/mnt/models`) and the initializer's
# command (`ferry storage-initializer SRC DEST`) select the role.
#
# Non-root and OpenShift-friendly: USER is numeric (1000, so runAsNonRoot can
# check it without a runAsUser in the pod), its primary group is 0, and what it
# may write (its home, /mnt/models) belongs to group 0 with the owner's rights,
# so an arbitrary uid assigned by OpenShift's restricted SCC (always in group 0)
# works too. Nothing in the image needs capabilities or privilege escalation.

#
# Backends (libferry_*.so, loaded on first use of their model format) go to
# /usr/local/lib/ferry/backends, where the binary looks beside ../bin; the gRPC
# module (libferry_grpc.so, loaded when a gRPC port opens) to /usr/local/lib/ferry. The
# PyTorch backend needs libtorch (about 400 MB installed), so it is built only
# with --build-arg FERRY_TORCH=1; otherwise `ferry --version` lists it as not
# built and a pytorch model fails to load naming what to install.

ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
ARG FERRY_TORCH=0
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates ccache \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh build && if [ "$FERRY_TORCH" = 1 ]; then \
      apt-get update -qq && apt-get install -y -qq --no-install-recommends libtorch-dev; fi \
    && rm -rf /var/lib/apt/lists/*
COPY . .
# The ccache cache survives between builds (podman/buildah and BuildKit keep
# cache mounts), so a rebuild after a small change recompiles only that.
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake -S . -B /src/build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DFERRY_BUILD_BENCH=OFF -DFERRY_BUILD_TESTS=OFF \
      -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    && cmake --build /src/build --target ferry \
    && strip -o /ferry /src/build/ferry \
    && mkdir -p /backends && for so in /src/build/lib/ferry/backends/*.so; do \
         strip --strip-unneeded -o /backends/$(basename $so) $so; done \
    && strip --strip-unneeded -o /libferry_grpc.so /src/build/lib/ferry/libferry_grpc.so

FROM ${DEBIAN_IMAGE} AS runtime
ARG FERRY_TORCH=0
ENV DEBIAN_FRONTEND=noninteractive
# Runtime libraries only: no compiler, no -dev headers, no package caches.
# libxgboost0 is for the XGBoost backend only (the binary does not link it).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      ca-certificates libstdc++6 zlib1g \
      libxgboost0 libyaml-cpp0.7 libsimdjson14 libcurl4 libarchive13 libsqlite3-0 libssl3 \
      libgrpc++1.51 libgrpc29 libprotobuf32 \
      $([ "$FERRY_TORCH" = 1 ] && echo libtorch1.13) \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 1000 --gid 0 --home-dir /home/ferry --create-home --shell /usr/sbin/nologin \
         ferry \
    && mkdir -p /mnt/models \
    && chown 1000:0 /mnt/models /home/ferry && chmod 0775 /mnt/models /home/ferry
COPY --from=build /ferry /usr/local/bin/ferry
COPY --from=build /backends/ /usr/local/lib/ferry/backends/
COPY --from=build /libferry_grpc.so /usr/local/lib/ferry/libferry_grpc.so
USER 1000
WORKDIR /home/ferry
ENV HOME=/home/ferry
# KServe's custom-runtime defaults: REST 8080, gRPC (h2c) 8081.
EXPOSE 8080 8081
ENTRYPOINT ["ferry"]
CMD ["serve", "--model_dir=/mnt/models", "--http_port=8080", "--grpc_port=8081"]

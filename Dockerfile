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

ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates ccache \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh build && rm -rf /var/lib/apt/lists/*
COPY . .
# The ccache cache survives between builds (podman/buildah and BuildKit keep
# cache mounts), so a rebuild after a small change recompiles only that.
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake -S . -B /src/build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DFERRY_BUILD_BENCH=OFF -DFERRY_BUILD_TESTS=OFF \
      -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    && cmake --build /src/build --target ferry \
    && strip -o /ferry /src/build/ferry

FROM ${DEBIAN_IMAGE} AS runtime
ENV DEBIAN_FRONTEND=noninteractive
# Runtime libraries only: no compiler, no -dev headers, no package caches.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      ca-certificates libstdc++6 zlib1g \
      libxgboost0 libyaml-cpp0.7 libsimdjson14 libcurl4 libarchive13 libsqlite3-0 libssl3 \
      libgrpc++1.51 libgrpc29 libprotobuf32 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 1000 --gid 0 --home-dir /home/ferry --create-home --shell /usr/sbin/nologin \
         ferry \
    && mkdir -p /mnt/models \
    && chown 1000:0 /mnt/models /home/ferry && chmod 0775 /mnt/models /home/ferry
COPY --from=build /ferry /usr/local/bin/ferry
USER 1000
WORKDIR /home/ferry
ENV HOME=/home/ferry
# KServe's custom-runtime defaults: REST 8080, gRPC (h2c) 8081.
EXPOSE 8080 8081
ENTRYPOINT ["ferry"]
CMD ["serve", "--model_dir=/mnt/models", "--http_port=8080", "--grpc_port=8081"]

# syntax=docker/dockerfile:1
# Ferry's container image: the same binary as `ferry up` / `ferry serve`, used
# on Kubernetes as a KServe ClusterServingRuntime (kserve-container) and as the
# storage-initializer init container (see deploy/kserve/ and docs/kubernetes.md).
#
#   docker build -t ferry:dev .
#
# Two stages: `build` has the compilers and -dev packages (installed by the same
# scripts/install-deps.sh developers use); the final stage has only the shared
# libraries the binary links against, runs as an unprivileged user and starts
# `ferry`, so the runtime's args (`serve --model_name=... --model_dir=/mnt/models`)
# and the initializer's args (`storage-initializer SRC DEST`) select the command.

ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFERRY_BUILD_BENCH=OFF \
    && cmake --build /build --target ferry \
    && strip /build/ferry

FROM ${DEBIAN_IMAGE} AS runtime
ENV DEBIAN_FRONTEND=noninteractive
# Runtime libraries only: no compiler, no -dev headers, no package caches.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      ca-certificates libstdc++6 zlib1g \
      libxgboost0 libyaml-cpp0.7 libsimdjson14 libcurl4 libarchive13 libsqlite3-0 libssl3 \
      libgrpc++1.51 libgrpc29 libprotobuf32 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 1000 ferry \
    && useradd --system --uid 1000 --gid ferry --home-dir /home/ferry --create-home ferry \
    && mkdir -p /mnt/models && chown ferry:ferry /mnt/models
COPY --from=build /build/ferry /usr/local/bin/ferry
USER 1000:1000
WORKDIR /home/ferry
# KServe's custom-runtime defaults: REST 8080, gRPC (h2c) 8081.
EXPOSE 8080 8081
ENTRYPOINT ["ferry"]
CMD ["serve", "--model_dir=/mnt/models", "--http_port=8080", "--grpc_port=8081"]

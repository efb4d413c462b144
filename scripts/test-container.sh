#!/usr/bin/env bash
# `npm run test:container`: builds the Dockerfile's test image with docker, else podman, and runs
# the whole suite inside it (--privileged: the e2e tests create network namespaces and wireguard-go
# interfaces). Not part of .ci/run: a cold build takes minutes.
#   env: NODE_IMAGE=...        another base image (e.g. a local stand-in when no registry is reachable)
#        CONTAINER_ENGINE=...  docker or podman (default: whichever is installed, docker first)
#        TEST_IMAGE=wgnode-test
set -euo pipefail
cd "$(dirname "$0")/.."
engine="${CONTAINER_ENGINE:-$(command -v docker || command -v podman || true)}"
[ -n "$engine" ] || { echo "test:container: needs docker or podman" >&2; exit 1; }
image="${TEST_IMAGE:-wgnode-test}"
args=(--target test -t "$image")
# podman and buildah default to the OCI format, which has no HEALTHCHECK (the runtime stage has one).
[ "$(basename "$engine")" = podman ] && args+=(--format docker)
[ -n "${NODE_IMAGE:-}" ] && args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE")
echo "test:container: $engine build ${args[*]} ."
"$engine" build "${args[@]}" .
echo "test:container: $engine run --rm --privileged $image"
exec "$engine" run --rm --privileged "$image"

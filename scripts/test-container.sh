#!/usr/bin/env bash
# `npm run test:container`: builds the Dockerfile's test image with docker, else podman, and runs
# the whole suite inside it (--privileged: the e2e tests create network namespaces and wireguard-go
# interfaces). Not part of .ci/run: a cold build takes minutes.
#   env: NODE_IMAGE=...        another base image (e.g. a local stand-in when no registry is reachable)
#        CONTAINER_ENGINE=...  docker or podman (default: the first that answers, docker first)
#        TEST_IMAGE=wgnode-test
set -euo pipefail
cd "$(dirname "$0")/.."
# The first engine that answers: a docker client without a reachable daemon does not count.
engine="${CONTAINER_ENGINE:-}"
if [ -z "$engine" ]; then
  for candidate in docker podman; do
    if command -v "$candidate" >/dev/null && "$candidate" info >/dev/null 2>&1; then engine=$candidate; break; fi
  done
fi
[ -n "$engine" ] || { echo "test:container: needs docker (with its daemon running) or podman" >&2; exit 1; }
image="${TEST_IMAGE:-wgnode-test}"
args=(--target test -t "$image")
# podman and buildah default to the OCI format, which has no HEALTHCHECK (the runtime stage has one).
[ "$(basename "$engine")" = podman ] && args+=(--format docker)
[ -n "${NODE_IMAGE:-}" ] && args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE")
echo "test:container: $engine build ${args[*]} ."
"$engine" build "${args[@]}" .
echo "test:container: $engine run --rm --privileged $image"
exec "$engine" run --rm --privileged "$image"

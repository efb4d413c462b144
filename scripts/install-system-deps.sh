#!/usr/bin/env bash
# System packages wgnode needs on a Debian node, in CI and in the container: the WireGuard
# tools, a userspace WireGuard (the kernel may lack the module), iproute2, conntrack (deleting a
# revoked address's NAT state, WGNODE_CONNTRACK), and ping and iptables for the end-to-end tests. --no-install-recommends keeps apt from pulling a kernel image.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: run as root (apt-get install)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends wireguard-tools wireguard-go iproute2 conntrack iptables iputils-ping ca-certificates >/dev/null
# chromium: the GraphQL IDE's browser test (test/e2e/graphiql.test.ts). A runtime image that
# runs no tests can leave it out with WGNODE_NO_BROWSER=1 (it is ~300 MB).
if [ "${WGNODE_NO_BROWSER:-}" != "1" ]; then
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
echo "install-system-deps: $(wg --version | head -1); wireguard-go $(wireguard-go --version 2>/dev/null | head -1)"

# syntax=docker/dockerfile:1
# wgnode: build, test and runtime images. The steps call the same scripts CI calls (.ci/run):
# scripts/install-system-deps.sh, npm ci, npm run typecheck, npm test.
#
#   docker build -t wgnode .                                   # the runtime image
#   docker build --target test -t wgnode-test . \
#     && docker run --rm --privileged wgnode-test               # the full test suite, e2e included
#
# Pinned base; for production also pin the digest (node:20.20.2-bookworm-slim@sha256:...).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- system: the Debian packages wgnode needs (wg, wireguard-go, ip, ping), as in CI; without the
# browser the GraphQL IDE test uses (WGNODE_NO_BROWSER=1, ~300 MB): the runtime runs no tests ----
FROM ${NODE_IMAGE} AS system
COPY scripts/install-system-deps.sh /tmp/install-system-deps.sh
RUN WGNODE_NO_BROWSER=1 bash /tmp/install-system-deps.sh \
 && apt-get install -y -qq --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* /tmp/install-system-deps.sh

# ---- deps: every npm dependency (better-sqlite3 falls back to compiling: python3, make, g++) ----
FROM system AS deps
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips the root `prepare` (tsc needs the sources, copied later, for a better
# layer cache); `npm rebuild` then runs the dependencies' own install scripts (better-sqlite3, esbuild).
RUN npm ci --no-fund --no-audit --ignore-scripts && npm rebuild

# ---- build: type-check and compile to dist/ ----
FROM deps AS build
COPY tsconfig.json codegen.ts ./
COPY src ./src
COPY scripts ./scripts
COPY test ./test
RUN npm run typecheck && npm run build

# ---- test: `docker run --privileged` (or --cap-add NET_ADMIN --cap-add SYS_ADMIN --device /dev/net/tun)
# runs the whole suite; CI=1 makes the e2e tests fail, not skip, when the privileges are missing ----
FROM build AS test
# Everything CI installs, the browser included.
RUN bash scripts/install-system-deps.sh && rm -rf /var/lib/apt/lists/*
ENV CI=1
CMD ["npm", "test"]

# ---- prod-deps: production dependencies only, with the native modules already built ----
FROM build AS prod-deps
RUN npm prune --omit=dev --no-fund --no-audit

# ---- runtime ----
FROM system AS runtime
ENV NODE_ENV=production \
    WGNODE_HOST=0.0.0.0 \
    WGNODE_PORT=8080 \
    WGNODE_DB=/var/lib/wgnode/wgnode.db \
    WGNODE_SOCKET=/var/lib/wgnode/wgnode.sock
WORKDIR /app
COPY --from=prod-deps /app/package.json /app/package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# `docker exec wgnode wgnode status` talks to the server over the socket on the volume.
RUN chmod 755 dist/src/cli/main.js \
 && ln -s /app/dist/src/cli/main.js /usr/local/bin/wgnode \
 && mkdir -p /var/lib/wgnode && chmod 700 /var/lib/wgnode
VOLUME /var/lib/wgnode
EXPOSE 8080
# Root, confined: `wg`/`ip` are child processes and need CAP_NET_ADMIN in their effective set, which
# Docker gives a non-root user only through ambient capabilities it cannot configure; run with
# --cap-drop ALL --cap-add NET_ADMIN (see README, The container).
USER root
# /livez over the operator socket: it answers whatever WGNODE_HOST is.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('node:http').get({socketPath:process.env.WGNODE_SOCKET,path:'/livez',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# tini reaps wg/ip children and forwards SIGTERM, so `docker stop` shuts wgnode down cleanly.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/src/cli/main.js"]
CMD ["serve"]

# wgnode: build, test and runtime images. The steps call the same scripts CI calls (.ci/run):
# scripts/install-system-deps.sh, npm ci, npm run typecheck, npm run build, npm test.
#
#   docker build -t wgnode .                                   # the runtime image
#   docker build --target test -t wgnode-test . \
#     && docker run --rm --privileged wgnode-test               # the full test suite, e2e included
#
# With podman or buildah, add --format docker: the OCI image format has no HEALTHCHECK.
# Layers are ordered so that an edit to test/ rebuilds only the test stage, and an edit to src/
# never reinstalls the browser the test stage needs (docs/container.md).
#
# Pinned base on a supported LTS (CI also runs the suite on Node 20); for production also pin the
# digest (node:24.22.3-bookworm-slim@sha256:...).
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# ---- system: the Debian packages wgnode needs (wg, wireguard-go, ip, ping), as in CI; without the
# browser the GraphQL IDE test uses (WGNODE_NO_BROWSER=1, ~300 MB): the runtime runs no tests ----
FROM ${NODE_IMAGE} AS system
COPY scripts/install-system-deps.sh /tmp/install-system-deps.sh
# apt-get clean: the downloaded .debs stay in /var/cache/apt on a base without Docker's apt
# hook (docker-clean), ~80 MB.
RUN WGNODE_NO_BROWSER=1 bash /tmp/install-system-deps.sh \
 && apt-get install -y -qq --no-install-recommends tini \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /tmp/install-system-deps.sh

# ---- deps: every npm dependency (better-sqlite3 falls back to compiling: python3, make, g++) ----
FROM system AS deps
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends python3 make g++ \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips the root `prepare` (the build needs the sources, copied later, for a
# better layer cache); `npm rebuild` then runs the dependencies' own install scripts
# (better-sqlite3, esbuild).
RUN npm ci --no-fund --no-audit --ignore-scripts && npm rebuild

# ---- prod-deps: production dependencies only, native module built, its build intermediates
# (object files, the SQLite sources) dropped: better-sqlite3 loads build/Release/better_sqlite3.node ----
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-fund --no-audit \
 && cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node /tmp/ \
 && rm -rf build deps src \
 && mkdir -p build/Release && mv /tmp/better_sqlite3.node build/Release/ \
 && cd /app && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"

# ---- build: compile src/ to dist/src and extract the GraphQL IDE's files to dist/ide-assets
# (no test/ here: an edit to the tests does not rebuild the runtime image) ----
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-ide-assets.ts ./scripts/
RUN npm run build

# ---- browser: everything CI installs, the browser included; before any source is copied, so a
# source edit does not reinstall it ----
FROM deps AS browser
COPY scripts/install-system-deps.sh /tmp/install-system-deps.sh
RUN bash /tmp/install-system-deps.sh && apt-get clean && rm -rf /var/lib/apt/lists/* /tmp/install-system-deps.sh

# ---- test: `docker run --privileged` (or --cap-add NET_ADMIN --cap-add SYS_ADMIN --device /dev/net/tun)
# runs the whole suite; CI=1 makes the e2e tests fail, not skip, when the privileges are missing ----
FROM browser AS test
COPY tsconfig.json tsconfig.build.json codegen.ts schema.graphql ./
COPY src ./src
COPY scripts ./scripts
COPY test ./test
RUN npm run typecheck && npm run build
ENV CI=1
CMD ["npm", "test"]

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
COPY --from=build /app/dist/ide-assets ./dist/ide-assets
# `docker exec wgnode wgnode status` talks to the server over the socket on the volume.
RUN chmod 755 dist/src/cli/main.js \
 && ln -s /app/dist/src/cli/main.js /usr/local/bin/wgnode \
 && mkdir -p /var/lib/wgnode && chmod 700 /var/lib/wgnode
VOLUME /var/lib/wgnode
EXPOSE 8080
# Root, confined: `wg`/`ip` are child processes and need CAP_NET_ADMIN in their effective set, which
# Docker gives a non-root user only through ambient capabilities it cannot configure; run with
# --cap-drop ALL --cap-add NET_ADMIN (docs/container.md).
USER root
# GET /livez where the configuration says the server listens: the socket when there is one
# (it answers whatever WGNODE_HOST is), else WGNODE_PORT (src/healthcheck.ts).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/dist/src/healthcheck.js"]
# tini reaps wg/ip children and forwards SIGTERM, so `docker stop` shuts wgnode down cleanly.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/src/cli/main.js"]
CMD ["serve"]

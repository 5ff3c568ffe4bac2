# syntax=docker/dockerfile:1
# forgelink: multi-stage image. The build stage compiles src/ to dist/ and packs the artifact (`npm pack`: bin/,
# scripts/, dist/, docs/ — no src/, no tests); the runtime stage installs that artifact with production dependencies
# only, from the lockfile, and runs as the unprivileged `node` user. .ci/production-install.sh runs the same steps
# without a container engine on every CI run. See docs/operations.md.

# Node 22 (maintenance LTS): Node 20 reached its upstream end of life in April 2026, and content-type@3 (Octokit)
# declares node >= 22.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Dev dependencies are needed to compile; scripts wait until the sources are here (`prepare` builds dist/).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && mkdir /artifact && npm pack --pack-destination /artifact && cp package-lock.json /artifact/

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    FORGELINK_DATA_DIR=/tmp/forgelink
WORKDIR /app
COPY --from=build /artifact/ /tmp/artifact/
# Root owns the installed files: the service cannot rewrite its own code.
RUN tar -xzf /tmp/artifact/forgelink-*.tgz --strip-components=1 -C /app \
 && cp /tmp/artifact/package-lock.json /app/ \
 && npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf /tmp/artifact
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/readyz`).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--max-semi-space-size=4", "/app/bin/forgelink.js"]
# `forgelink serve` expects migrations applied (compose.yaml runs `migrate` once first); `start` migrates, then serves.
CMD ["serve"]

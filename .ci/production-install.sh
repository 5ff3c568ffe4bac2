#!/usr/bin/env bash
# Proves what the Dockerfile does, without a container engine: pack the artifact (dist/, no src/), install it with
# production dependencies only in a temporary folder, check no dev dependency got in, then run it against a real
# PostgreSQL: `forgelink migrate`, `forgelink serve`, /readyz 200, a signed GitHub webhook → an event in GET /v1/events.
# Run by .ci/run; by hand: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .ci/production-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (its database is used to create and drop a scratch one)}"

started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/forgelink-prod-XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. The artifact, as the Dockerfile's build stage makes it (`prepare` builds dist/ first if src/ changed).
tarball=$(npm pack --silent --pack-destination "$work" | tail -n1)
mkdir "$work/app"
tar -xzf "$work/$tarball" --strip-components=1 -C "$work/app"
cp package-lock.json "$work/app/"

# 2. The runtime stage: production dependencies only, from the lockfile (the npm cache makes this offline-fast).
(cd "$work/app" && npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error)

# 3. Run it: a scratch database, migrate, serve, readyz, a signed webhook → event, no dev dependency.
node .ci/production-install.mjs "$work/app"
echo "production install: ok in $(( $(date +%s) - started )) s"

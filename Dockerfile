# syntax=docker/dockerfile:1
# Build stage: full toolchain (the better-sqlite3 native addon may compile from source), then prune to production deps.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
COPY agents ./agents
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and compiled code only, as the unprivileged `node` user.
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# The demo help-center articles are built in; mount a team's own read-only and set KNOWLEDGE_DIR to it, e.g.
#   docker run -v "$PWD/help-center:/knowledge:ro" -e KNOWLEDGE_DIR=/knowledge …
# HTTP Events API mode serves /slack/events here (SLACK_PORT); Socket Mode needs no port.
EXPOSE 3000
# /healthz, /readyz and /metrics (OPS_PORT, default 9090) while a platform adapter runs.
EXPOSE 9090
# The image has no curl: node asks /healthz itself. With OPS_PORT=off there is nothing to ask, so it counts as healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p = process.env.OPS_PORT || '9090'; if (p === 'off') process.exit(0); fetch('http://127.0.0.1:' + p + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));"]
# node directly, not npm start: npm does not reliably pass SIGTERM on, and graceful shutdown needs it.
# --max-semi-space-size=8: about 40 MB less peak memory under a burst than the default 16, at the same throughput
# (bench/endToEnd.ts); `npm start` passes it too.
CMD ["node", "--max-semi-space-size=8", "dist/src/main.js"]

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
# node directly, not npm start: npm does not reliably pass SIGTERM on, and graceful shutdown needs it.
# HTTP Events API mode serves /slack/events and /healthz here (SLACK_PORT); Socket Mode needs no port.
EXPOSE 3000
CMD ["node", "dist/src/main.js"]

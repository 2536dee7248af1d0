# attn serve in a container: `docker build -t attn .`, then
#   docker run -p 8080:8080 -v "$PWD/runs/my-model:/model:ro" attn
# serves the checkpoint mounted at /model (see docs/deploy.md). The native addon is compiled in the build stage,
# so the runtime image carries no compiler. Building needs only the Debian and npm registries.

# Build stage: the dev dependencies, the addon (npm ci's install script) and dist/ (its prepare script).
FROM node:20-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends g++ make python3 \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json binding.gyp tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY native ./native
COPY wasm ./wasm
COPY scripts ./scripts
COPY src ./src
RUN npm ci --no-audit --no-fund \
  && test -f build/Release/attn.node \
  && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: Node, the production dependencies, dist/ and the addon; run as the image's unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/build/Release/attn.node ./build/Release/attn.node
USER node
EXPOSE 8080
# Liveness: the process answers. Readiness (model loaded, queue not full) is GET /readyz, for the orchestrator.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/attn.js", "serve", "--host", "0.0.0.0", "--port", "8080"]
CMD ["--checkpoint", "/model"]

# Isola: one image for every role (docs/kubernetes.md). Not built in this repository's CI:
# there is no container engine there; build it where Docker or BuildKit runs:
#   docker build -t registry.example.com/isola:0.1.0 .
#   docker run --rm -e REDIS_URL=redis://... registry.example.com/isola:0.1.0 gateway

# --- build: compile isolated-vm from source, the TypeScript workspaces and the console -------
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Manifests first, so that the dependency layer is cached across source changes.
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY scheduler/package.json scheduler/
COPY triggers/package.json triggers/
COPY worker-pool/package.json worker-pool/
COPY worker-pool/types/package.json worker-pool/types/
COPY sidecar/package.json sidecar/
COPY console/package.json console/
COPY gateway/package.json gateway/
COPY cli/package.json cli/
COPY k8s/package.json k8s/
COPY k8s/operator/package.json k8s/operator/
COPY functions-examples/package.json functions-examples/
COPY bench/package.json bench/
COPY docs/package.json docs/
# prebuild-install would fetch a prebuilt isolated-vm; build it against this image's Node instead.
ENV npm_config_build_from_source=true
# npm install, not npm ci: the lockfile is made against a registry mirror that leaves out some
# other platforms' optional packages, and npm ci refuses a lockfile that misses them.
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/.cache /root/.npm

# --- runtime ---------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    ISOLA_DATA_DIR=/var/lib/isola
RUN groupadd --system --gid 10001 isola \
 && useradd --system --uid 10001 --gid isola --home-dir /var/lib/isola --no-create-home isola \
 && mkdir -p /var/lib/isola \
 && chown isola:isola /var/lib/isola
WORKDIR /app
COPY --from=build --chown=root:root /app /app
USER 10001:10001
EXPOSE 8080 50051 8081 8090
ENTRYPOINT ["node", "--no-node-snapshot", "cli/dist/bin.js"]
# The role: gateway, worker, scheduler or sidecar (docs/deployment.md). The Kubernetes operator
# is its own program and replaces the entry point: node k8s/operator/dist/main.js (port 8090).
CMD ["gateway"]

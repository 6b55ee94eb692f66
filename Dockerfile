# syntax=docker/dockerfile:1
# The reference AgentOS server: `docker build -t agentos-server .`, then
#   docker run -p 7777:7777 -e JWT_VERIFICATION_KEY="$(cat public.pem)" -e AUTHORIZATION_ENABLED=true agentos-server
# Without a key it starts in newcomer mode and prints demo tokens. Data: /data (PGlite) or DATABASE_URL.
ARG NODE_VERSION=20.19-alpine

FROM node:${NODE_VERSION} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY spec/package.json spec/
COPY generator/package.json generator/
COPY server/package.json server/
COPY sdk/package.json sdk/
COPY conformance/package.json conformance/
# Runtime dependencies of the server's workspaces only; no lifecycle scripts.
# The versions come from package-lock.json; hadolint reads the --workspace names as unpinned packages.
# hadolint ignore=DL3016
RUN npm install --omit=dev --no-audit --no-fund --ignore-scripts \
      --workspace @agentos/server --workspace @agentos/core --workspace @agentos/spec \
  && npm cache clean --force

FROM node:${NODE_VERSION}
ENV NODE_ENV=production \
    AGENTOS_HOST=0.0.0.0 \
    PORT=7777 \
    AGENTOS_DATA_DIR=/data \
    NO_COLOR=1
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json ./
COPY --chown=node:node core/ core/
COPY --chown=node:node spec/package.json spec/agentos.openapi.yaml spec/
COPY --chown=node:node spec/src/ spec/src/
COPY --chown=node:node server/ server/
RUN mkdir -p /data && chown node:node /data
# The image's `node` user (uid/gid 1000), numeric so the host need not resolve the name.
USER 1000:1000
VOLUME ["/data"]
EXPOSE 7777
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||7777)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "server/bin/agentos-server.js"]

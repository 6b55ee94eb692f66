# syntax=docker/dockerfile:1
# The reference AgentOS server: `docker build -t agentos-server .`, then
#   docker run -p 7777:7777 -e JWT_VERIFICATION_KEY="$(cat public.pem)" -e AUTHORIZATION_ENABLED=true agentos-server
# Without a key it starts in newcomer mode and prints demo tokens. Data: /data (PGlite) or DATABASE_URL.
ARG NODE_VERSION=20.19-alpine

# Build: compile every package (npm run build) and pack the ones this image runs, exactly as they are
# published to npm.
FROM node:${NODE_VERSION} AS build
WORKDIR /src
COPY . .
RUN npm install --no-audit --no-fund --ignore-scripts \
  && npm run build \
  && mkdir /packs \
  && npm pack -w @agentos/core -w @agentos/server --pack-destination /packs --ignore-scripts

# Run: the tarballs installed like any npm package (production dependencies only, no TypeScript loader).
FROM node:${NODE_VERSION}
ENV NODE_ENV=production \
    AGENTOS_HOST=0.0.0.0 \
    PORT=7777 \
    AGENTOS_DATA_DIR=/data \
    NO_COLOR=1
WORKDIR /app
COPY --from=build /packs /tmp/packs
RUN echo '{"name":"image","private":true}' > package.json \
  && npm install --omit=dev --no-audit --no-fund /tmp/packs/*.tgz \
  && npm cache clean --force \
  && rm -rf /tmp/packs
RUN mkdir -p /data && chown node:node /data
USER 1000:1000
VOLUME ["/data"]
EXPOSE 7777
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||7777)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/node_modules/@agentos/server/bin/agentos-server.js"]

# The billing gateway as a container: a build stage compiles the TypeScript, a runtime stage holds only
# the compiled gateway, its production dependencies and the files it reads at run time.
#   docker build -t billing-gateway .
#   docker run -e GATEWAY_CONFIG=/etc/billing-gateway/gateway.json -v "$PWD/deploy/gateway.json:/etc/billing-gateway/gateway.json:ro" ... billing-gateway
# deploy/compose.yaml runs two instances on one Redis. README "Run in production" says more.

# Node 20 (package.json engines: >= 20.19; the `20` tag is the newest 20.x). Not 22: STACK.md pins
# packages whose next majors need it.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so that a change to the sources reuses this layer. No dependency needs its
# install scripts (STACK.md); npm 10, which this image ships, would run them.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build` is `tsc -b tsconfig.build.json`: dist/src (bench/ is not copied, so not built).
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# The compiled gateway, with the JSON files tsc copies beside it (the sandbox's mapping file and PSA charges).
COPY --from=build /app/dist/src ./dist/src
# Read at run time: the playground's example operations and the trusted-documents safelist come from
# schema/operations (src/graphql/examples.ts finds it from dist/src upwards). GraphiQL and React are
# served from node_modules, which the production install above holds (they are dependencies).
COPY schema/operations ./schema/operations
# The embedded customer-directory store's default dataDir (./data) when Redis is not the store: the
# only place in /app the gateway writes. Partner Center line stores go to the system temp directory.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 4000
# Liveness only (the process answers); readiness is /readyz, for the load balancer (README).
# node:*-slim has no curl: node's own fetch does the check.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself, not `npm start` (which compiles first): SIGTERM reaches the gateway, which drains
# requests for up to SHUTDOWN_GRACE_MS and exits 0.
CMD ["node", "dist/src/main.js"]

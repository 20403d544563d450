# The punchcard worker (nightly sync, /healthz, /metrics) on Node 24 LTS.
# Production dependencies only: without tsx, Node 24 runs the TypeScript sources by stripping
# their types (bin/punchcard.mjs). No credential is needed to build, and none is baked in: the
# database URL and API keys come from the environment at run time (docker-compose.yml).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production CI=true
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
# --omit=dev leaves out tsx, vitest, the pinned `node` package and the extra PostgreSQL majors.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY jobs ./jobs
# The app's files stay root-owned (read-only to the process); only its data folder (the embedded
# PostgreSQL when DATABASE_URL is unset) belongs to the unprivileged `node` user.
RUN mkdir -p /var/lib/punchcard && chown node:node /var/lib/punchcard
ENV PUNCHCARD_DATA_DIR=/var/lib/punchcard
# Inside its own network namespace the worker must listen beyond loopback for a published port to
# reach it; who can reach it is decided where the port is published (`ports:` in docker-compose.yml).
ENV PUNCHCARD_METRICS_HOST=0.0.0.0
USER node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PUNCHCARD_METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# V8 flags and environment as in bin/node-flags.mjs (test/unit/node-flags.test.ts keeps them equal);
# the young generation's size depends on the command, so the launcher adds it (one in-place exec).
ENV MALLOC_ARENA_MAX=2
ENV MALLOC_MMAP_THRESHOLD_=131072
ENV MALLOC_TRIM_THRESHOLD_=131072
ENTRYPOINT ["node", "bin/punchcard.mjs"]
CMD ["worker"]

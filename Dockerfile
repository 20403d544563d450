# The punchcard worker (nightly sync, /healthz, /metrics).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production CI=true
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY jobs ./jobs
USER node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PUNCHCARD_METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["node", "bin/punchcard.mjs"]
CMD ["worker"]

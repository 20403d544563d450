#!/usr/bin/env node
// Runs `prisma generate` at install time without a network. The Prisma 7 CLI wants to download a
// native schema engine for every command, but generate never runs it: pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any executable skips the download (see ../shared/STACK.md).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let cli;
try {
  cli = require.resolve('prisma/build/index.js');
} catch {
  console.log('prisma CLI not installed (production install?): skipping prisma generate');
  process.exit(0);
}
const placeholder = ['/bin/true', '/usr/bin/true'].find((path) => existsSync(path)) ?? process.execPath;
const result = spawnSync(process.execPath, [cli, 'generate'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? placeholder,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);

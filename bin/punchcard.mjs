#!/usr/bin/env node
// The `punchcard` command: loads the TypeScript CLI through tsx (no build step after `npm ci`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);

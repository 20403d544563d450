#!/usr/bin/env node
// The `punchcard` command. Node 22.18+ and 24 strip TypeScript types themselves, so the CLI runs
// from its .ts sources without a loader (faster start, less memory, and the production image
// carries no tsx). Older Node falls back to tsx, a dev dependency.
import module from 'node:module';
import { applyV8Flags } from './node-flags.mjs';

// First, before anything allocates: V8's young-generation size (bin/node-flags.mjs).
applyV8Flags();

// Stripping types costs a WebAssembly compiler per start (~25 MB, ~1 s here); Node's compile
// cache (NODE_COMPILE_CACHE, else the OS temp folder) keeps the stripped code, so later starts
// skip it. Without a writable cache folder Node just compiles again.
module.enableCompileCache?.();
if (!process.features.typescript) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    process.stderr.write(
      `punchcard needs Node.js 22.18 or newer (this is ${process.version}), or tsx installed (npm ci without --omit=dev)\n`,
    );
    process.exit(2);
  }
}
const { main } = await import('../src/cli/main.ts');
await main(process.argv);

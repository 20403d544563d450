// Preloaded (`node --import`) by test/unit/cli-lazy.test.ts: at exit, prints every module URL the
// program resolved (Node's synchronous module hooks see static and dynamic imports alike).
import module from 'node:module';
import { writeSync } from 'node:fs';

const seen = new Set();
module.registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    seen.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => writeSync(2, `\nMODULES ${JSON.stringify([...seen])}\nPEAK_RSS_KB ${process.resourceUsage().maxRSS}\n`));

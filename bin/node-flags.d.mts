// Types of node-flags.mjs for the TypeScript that imports it (bench, tests).
export declare const V8_FLAGS: readonly string[];
export declare function nodeArgs(extra?: readonly string[], env?: NodeJS.ProcessEnv): string[];
export declare function applyV8Flags(): void;

// Types of node-flags.mjs for the TypeScript that imports it (bench, tests).
export declare const RUN_ENV: Readonly<Record<string, string>>;
export declare function nodeEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export declare function nodeArgs(extra?: readonly string[], env?: NodeJS.ProcessEnv): string[];
export declare function applyV8Flags(): void;
export declare function commandOf(args: readonly string[]): string | undefined;
export declare function flagsFor(command: string | undefined): string[];

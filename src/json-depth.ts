/**
 * A bound on how deep a parsed answer may nest. JSON.parse itself copes with any depth, but every
 * later step that walks a value (JSON.stringify for jsonb columns, the checks in pipeline/batch.ts,
 * the transforms) recurses, and an answer nested 20,000 deep overflows the stack: the whole window
 * failed with "Maximum call stack size exceeded". After limitDepth, nothing below can recurse deeper
 * than MAX_JSON_DEPTH, and the record that held the deep part is rejected by finalizeBatch.
 */

/**
 * Levels of arrays and objects an answer may have. The deepest legitimate answer, clockodo
 * entrygroups with all 13 grouping levels, nests about 30.
 */
export const MAX_JSON_DEPTH = 64;

/** Stands in for a subtree cut at MAX_JSON_DEPTH; written to jsonb as a marker text. */
export class TooDeep {
  toJSON(): string {
    return `[nested deeper than ${MAX_JSON_DEPTH} levels: removed]`;
  }
}

/**
 * The same value with every container below `maxDepth` levels replaced by a TooDeep marker,
 * in place. Iterative (an explicit stack), so the walk itself cannot overflow.
 */
export function limitDepth(value: unknown, maxDepth = MAX_JSON_DEPTH): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (maxDepth <= 0) return new TooDeep();
  const stack: Array<{ container: Record<string, unknown> | unknown[]; depth: number }> = [{ container: value as Record<string, unknown>, depth: 1 }];
  while (stack.length > 0) {
    const { container, depth } = stack.pop()!;
    const keys = Array.isArray(container) ? container.keys() : Object.keys(container).values();
    for (const key of keys) {
      const child = (container as Record<string | number, unknown>)[key];
      if (child === null || typeof child !== 'object') continue;
      if (depth >= maxDepth) (container as Record<string | number, unknown>)[key] = new TooDeep();
      else stack.push({ container: child as Record<string, unknown>, depth: depth + 1 });
    }
  }
  return value;
}

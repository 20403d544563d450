/**
 * No spread or recursion whose width or depth the answer controls, in the last checks before a load.
 */
import { describe, expect, it } from 'vitest';
import { limitDepth, MAX_JSON_DEPTH, TooDeep } from '../../src/json-depth.ts';
import { finalizeBatch } from '../../src/pipeline/batch.ts';
import { tcEmployeesBasic } from '../../src/load/tables.ts';

describe('security #6: batch checks bounded by the code, not the answer', () => {
  it('security #6: 300,000 copies of one employee merge without a call spread', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ account: 'acme', employee_number: 7, email: i === 299_999 ? 'last@example.com' : null }));
    const batch = finalizeBatch({ tables: [{ spec: tcEmployeesBasic, rows }], rejects: [], received: rows.length } as never);
    expect(batch.tables[0]!.rows).toEqual([{ account: 'acme', employee_number: 7, email: 'last@example.com' }]);
  });

  it('security #6: limitDepth cuts 20,000 levels to the limit without recursing, and keeps shallow answers as they are', () => {
    const deep = limitDepth(JSON.parse(`{"a":${'['.repeat(20_000)}1${']'.repeat(20_000)},"b":[{"c":2}]}`)) as Record<string, unknown>;
    let level = 1;
    let node: unknown = deep.a;
    while (Array.isArray(node)) {
      level += 1;
      node = node[0];
    }
    expect(node).toBeInstanceOf(TooDeep);
    expect(level).toBe(MAX_JSON_DEPTH); // the root object and 63 arrays
    expect(JSON.stringify(deep).length).toBeLessThan(1_000);
    expect(deep.b).toEqual([{ c: 2 }]);
  });
});

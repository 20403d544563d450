/**
 * Every value reaches PostgreSQL as a bind parameter. This audit finds each `${...}` spliced into
 * SQL text passed to query()/copyFrom() anywhere in src/ and fails on any expression not on the
 * reviewed list below: identifiers built from our own table specs through ident()/qualified()
 * (which refuse anything but [a-z_][a-z0-9_]*) and fragments assembled from them.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../src/', import.meta.url).pathname;

const REVIEWED: Record<string, string[]> = {
  // merge.ts: every piece is derived from a TableSpec (code, not input) through ident()/qualified().
  'load/merge.ts': ['table', 'columnList', 'stage', 'columnDefs', 'target', "names.join(', ')", "spec.key.map(ident).join(', ')", "sets.join(', ')", 'changed', 'scope.sql', 'keyMatch'].concat(
    // settleDuplicateKeys: likewise from the spec through ident(); `raw`, `employee` and `workDate` are fixed fragments.
    ['dups', 'stagedKeys', 'stagedValues', 'versionMatch', 'employee', 'workDate', 'keyText', 'raw'],
  ),
  // The stage and its column list come from the spec through ident(); `where` is a fixed fragment.
  'load/load-window.ts': ['stage', 'columnList', 'where'],
  // The database name is quoted by pg's own escapeIdentifier.
  'db/embedded.ts': ['client.escapeIdentifier(database)'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'generated') return [];
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('SQL is parameterised', () => {
  it('splices no value into SQL text', () => {
    const found: Record<string, string[]> = {};
    let statements = 0;
    for (const file of sourceFiles(ROOT)) {
      const text = readFileSync(file, 'utf8');
      for (const call of text.matchAll(/\b(?:query|copyFrom)\s*(?:<[^>]*>)?\(\s*`([^`]*)`/g)) {
        statements += 1;
        for (const expression of call[1]!.matchAll(/\$\{([^}]*)\}/g)) {
          (found[relative(ROOT, file)] ??= []).push(expression[1]!.trim());
        }
      }
    }
    expect(statements).toBeGreaterThan(20); // the scan finds the statements at all
    for (const [file, expressions] of Object.entries(found)) {
      const unexpected = expressions.filter((e) => !(REVIEWED[file] ?? []).includes(e));
      expect(unexpected, `${file}: values spliced into SQL; bind them as $n parameters`).toEqual([]);
    }
  });
});

/** The raw answer is streamed as JSON pieces; together they must be exactly JSON.stringify's text. */
import { describe, expect, it } from 'vitest';
import { jsonPieces, storableJson } from '../../src/load/copy-format.ts';

const answer = {
  groups: [
    { group: '1021', name: 'Sophie Müller 👩‍💻', sub_groups: [{ day: '2025-01-02', note: 'tab\there "quoted" \\ back' }, null], skipped: undefined },
    { group: 0, restrictions: [], when: new Date('2025-01-02T03:04:05Z'), nested: { a: [1, 2.5, -3e21, true, false, null] } },
  ],
  empty: {},
  list: [undefined, () => 1],
  paging: { count_pages: 1 },
};

describe('jsonPieces', () => {
  it.each([
    ['a nested answer with undefined members, functions, dates and non-ASCII', answer],
    ['a scalar', 'just text'],
    ['null', null],
    ['an empty array', []],
  ])('%s: the pieces join to JSON.stringify', (_, value) => {
    expect([...jsonPieces(value)].join('')).toBe(JSON.stringify(value));
  });

  it('splits a large answer into bounded pieces', () => {
    const big = { groups: Array.from({ length: 5_000 }, (_, i) => ({ group: i, name: `user ${i}`, duration: i * 60 })) };
    const pieces = [...jsonPieces(big, 3, 4_096)];
    expect(pieces.length).toBeGreaterThan(10);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(4_096 + 200);
    expect(pieces.join('')).toBe(JSON.stringify(big));
  });

  it('storableJson keeps what JSON.stringify writes (a Date as ISO text) and escapes U+0000 as text', () => {
    expect(JSON.stringify(storableJson(answer))).toBe(JSON.stringify(answer));
    expect(storableJson({ note: 'a\u0000b', at: new Date('2025-01-02T03:04:05Z') })).toEqual({ note: 'a\\u0000b', at: '2025-01-02T03:04:05.000Z' });
  });
});

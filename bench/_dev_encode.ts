import { generateSessionRows } from './loader.ts';
import { encodeCopyRow } from '../src/load/copy-format.ts';
import { tcSessions } from '../src/load/tables.ts';
const spec = tcSessions('sessions');
const { rows } = generateSessionRows(200000);
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  let n = 0;
  let buf = '';
  for (const row of rows) { buf += encodeCopyRow(row, spec.columns); if (buf.length > 65536) { n += buf.length; buf = ''; } }
  console.log('encode', Math.round(performance.now() - t0), 'ms', n);
}

import { generateSessionRows } from './loader.ts';
import { tcSessions } from '../src/load/tables.ts';
import type { Column } from '../src/load/table-spec.ts';
const spec = tcSessions('sessions');
const { rows } = generateSessionRows(200000);

function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c === 92 || (c < 32 && (c === 9 || c === 10 || c === 13 || c === 8 || c === 12 || c === 11))) return true; }
  return false;
}
const RE = /[\\\t\n\r\b\f\v]/;
function esc(s: string): string { return RE.test(s) ? s.replace(/[\\\t\n\r\b\f\v]/g, (c) => '\\' + c) : s; }
function esc2(s: string): string { return needsEscape(s) ? s.replace(/[\\\t\n\r\b\f\v]/g, (c) => '\\' + c) : s; }
type Enc = (v: unknown) => string;
function encoderFor(c: Column, e: (s: string) => string): Enc {
  switch (c.type) {
    case 'jsonb': return (v) => { const j = JSON.stringify(v); return j.indexOf('\\') === -1 ? j : j.replace(/\\/g, '\\\\'); };
    case 'text[]': return (v) => { const a = v as string[]; if (a.length === 0) return '{}'; let o = '{'; for (let i = 0; i < a.length; i++) { if (i) o += ','; o += '"' + a[i]!.replace(/[\\"]/g, '\\$&') + '"'; } return e(o + '}'); };
    case 'boolean': return (v) => (v ? 't' : 'f');
    case 'integer': case 'bigint': return (v) => typeof v === 'number' ? String(v) : e(String(v));
    default: return (v) => e(typeof v === 'string' ? v : String(v));
  }
}
for (const [name, e] of [['regex', esc], ['loop', esc2]] as const) {
  const encs = spec.columns.map((c) => encoderFor(c, e));
  const names = spec.columns.map((c) => c.name);
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    let n = 0; let buf = '';
    for (const row of rows) {
      let line = '';
      for (let i = 0; i < names.length; i++) {
        const v = row[names[i]!];
        if (i > 0) line += '\t';
        line += v === null || v === undefined ? '\\N' : encs[i]!(v);
      }
      buf += line + '\n';
      if (buf.length >= 262144) { n += Buffer.byteLength(buf); buf = ''; }
    }
    console.log(name, Math.round(performance.now() - t0), 'ms', n);
  }
}
import { encodeCopyRow } from '../src/load/copy-format.ts';
for (let r = 0; r < 4; r++) {
  const t0 = performance.now();
  let n = 0; let buf = '';
  for (const row of rows) { buf += encodeCopyRow(row, spec.columns); if (buf.length >= 65536) { n += Buffer.byteLength(buf); buf = ''; } }
  console.log('orig', Math.round(performance.now() - t0), 'ms', n);
}

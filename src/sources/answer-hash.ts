/** SHA-256 of a parsed answer, for answers whose bytes cannot serve as their fingerprint. */
import { createHash } from 'node:crypto';
import { jsonPieces } from '../load/copy-format.ts';

/** SHA-256 of a parsed answer's JSON text, written piece by piece rather than as one string. */
export function sha256OfAnswer(answer: unknown): string {
  const hash = createHash('sha256');
  for (const piece of jsonPieces(answer)) hash.update(piece);
  return hash.digest('hex');
}

/**
 * An answer read as its bytes arrive, through a ListSplitter: each member of its top-level list
 * goes to a sink as soon as it is complete, and the rest of the answer is parsed at the end. Shared
 * by clockodo entrygroups (`groups`) and the TimeClock methods (`result`); each client checks the
 * envelope (`root`) itself before it lets the sink finish.
 */
import { limitDepth, MAX_JSON_DEPTH } from '../json-depth.ts';
import type { ListSink } from '../pipeline/spool.ts';
import { ListSplitter, SplitError } from './list-splitter.ts';

/** The head of the body kept as text, for error messages (safeExcerpt reads no further). */
export const HEAD_BYTES = 65_536;

export interface SplitAnswer {
  /** The answer without the list's members (the list itself kept, empty), cut to depth as a whole parse would cut it. */
  root: unknown;
  bytes: number;
  /** The body's first HEAD_BYTES as text (all of a small answer: an error, an empty window). */
  head: string;
}

export interface SplitOptions {
  listKey: string;
  /**
   * The error for a body that is not JSON (or not one the splitter cuts): `why`, the bytes read,
   * its first characters, and whether asking again may help (a body cut short).
   */
  notJson(why: string, bytes: number, start: string, retryable: boolean): Error;
}

export async function splitAnswer(chunks: AsyncIterable<Uint8Array>, sink: Pick<ListSink<unknown>, 'group' | 'drained'>, options: SplitOptions): Promise<SplitAnswer> {
  const decoder = new TextDecoder();
  let head = '';
  let bytes = 0;
  let sinkError: { error: unknown } | undefined;
  let before: Record<string, unknown> | undefined; // the members before the list, cut to depth once
  const splitter = new ListSplitter(
    {
      member(value, key, head) {
        try {
          before ??= limitDepth(head) as Record<string, unknown>;
          // Cut where parsing the whole answer would cut it: its members sit two levels down.
          sink.group(limitDepth(value, MAX_JSON_DEPTH - 2), key, before);
        } catch (error) {
          sinkError = { error };
          throw error;
        }
      },
    },
    { listKey: options.listKey },
  );
  try {
    for await (const chunk of chunks) {
      if (bytes < HEAD_BYTES) head += decoder.decode(chunk.subarray(0, HEAD_BYTES - bytes), { stream: true });
      bytes += chunk.byteLength;
      splitter.write(chunk);
      await sink.drained();
    }
    return { root: limitDepth(splitter.end().rest), bytes, head };
  } catch (error) {
    if (sinkError) throw sinkError.error;
    if (error instanceof SplitError) throw options.notJson(error.message || 'answer is not valid JSON', bytes, head.slice(0, 60), error.retryable);
    throw error;
  }
}

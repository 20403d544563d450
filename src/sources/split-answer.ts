/**
 * An answer read as its bytes arrive, through a ListSplitter: each member of its top-level list
 * goes to a sink as soon as it is complete, and the rest of the answer is parsed at the end. Shared
 * by clockodo entrygroups (`groups`) and the TimeClock methods (`result`); each client checks the
 * envelope (`root`) itself before it lets the sink finish.
 */
import { SourceError, safeExcerpt, type SourceName } from '../errors.ts';
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
  /** For the error of a body that is not JSON (or not one the splitter cuts). */
  source: SourceName;
  operation: string;
  /** Kept out of the error's excerpt. */
  secrets: string[];
}

export async function splitAnswer(chunks: AsyncIterable<Uint8Array>, sink: Pick<ListSink<unknown>, 'group' | 'drained'>, options: SplitOptions): Promise<SplitAnswer> {
  const decoder = new TextDecoder();
  let head = '';
  let bytes = 0;
  let sinkError: { error: unknown } | undefined;
  let before: Record<string, unknown> | undefined; // the members before the list, cut to depth once
  const splitter = new ListSplitter(
    {
      member(value, key, head, source) {
        try {
          before ??= limitDepth(head) as Record<string, unknown>;
          // Cut where parsing the whole answer would cut it: its members sit two levels down. A
          // member that was cut is no longer what its text says. The scanner counted the member's
          // levels, so one within the bound is not walked again (0.33 s of a 62-day backfill's profile).
          const maxDepth = MAX_JSON_DEPTH - 2;
          const whole = source.levels <= maxDepth;
          sink.group(whole ? value : limitDepth(value, maxDepth), key, before, whole ? source.bytes : undefined);
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
    if (error instanceof SplitError) throw notJson(options, error, bytes, head);
    throw error;
  }
}

/** A body that is not JSON: asking again may help (a body cut short) unless the splitter says otherwise. */
function notJson({ source, operation, secrets }: SplitOptions, error: SplitError, bytes: number, head: string): SourceError {
  const why = error.message || 'answer is not valid JSON';
  return new SourceError(`${source} ${operation}: ${why} (${bytes} bytes, starts "${safeExcerpt(head.slice(0, 60), secrets)}")`, {
    source,
    kind: 'invalid-response',
    retryable: error.retryable,
    status: 200,
    operation,
  });
}

/**
 * Splits an answer into the members of one top-level list (or object) — clockodo entrygroups'
 * `groups`, a TimeClock JSON-RPC answer's `result` — and the rest of the answer, as its bytes
 * arrive, without parsing it token by token in JavaScript.
 *
 * Why: a month of 1,000 employees is a ~100 MB answer. Parsed whole it needs several times that in
 * memory; a JavaScript streaming tokenizer (@streamparser/json, used before) spent ~2.5 s of CPU per
 * month on it. A top-level group is one employee's month (~100 KB), so this scanner only finds
 * where each member begins and ends — it follows strings and brackets, with `indexOf` (memchr)
 * to cross string contents — and hands each member to V8's own JSON.parse. Memory is bounded by
 * the largest member, as with the streaming tokenizer, which also built each member whole.
 *
 * Validity is not the scanner's job: every byte goes into a member or into the skeleton (the answer
 * with the members of `groups` cut out), and both are read by JSON.parse, which rejects what is not
 * JSON. The scanner itself checks only the separators it drops between members (one comma each).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const isWhitespace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * The answer is not JSON (retryable: a body cut short reads so), or JSON the splitter does not cut
 * (not retryable: asking again brings the same answer), with its reason.
 */
export class SplitError extends Error {
  readonly retryable: boolean;
  constructor(message?: string, retryable = true) {
    super(message);
    this.retryable = retryable;
  }
}

export interface SplitHandlers {
  /**
   * One member of `groups`, parsed: `key` is its index in a list, or its key in an object;
   * `head` is the answer's members before `groups` (with `groups` itself empty). `source` is the
   * member's text as it came (`"key":value` in an object) and how many levels of arrays and
   * objects it nests (a number or a string: 0).
   */
  member(value: unknown, key: string | number, head: Record<string, unknown>, source: MemberSource): void;
}

export interface MemberSource {
  bytes: Buffer;
  levels: number;
}

export interface SplitResult {
  /** The whole answer without the members of `groups` (`groups` itself is kept, empty); any JSON value when there is no `groups`. */
  rest: unknown;
  /** Members handed on. */
  members: number;
}

export class ListSplitter {
  readonly #handlers: SplitHandlers;
  readonly #maxRestBytes: number;
  readonly #listKey: string;
  #depth = 0;
  #inString = false;
  /** Inside a string, the byte before was an unescaped backslash (carried across chunks). */
  #escaped = false;

  // Keys of the top-level object, to find `groups`.
  #expectKey = false;
  #keyPieces: Buffer[] | undefined;
  #lastKey: string | undefined;
  #groupsValueNext = false;
  #groupsSeen = false;
  #rootIsObject = false;

  // Inside the `groups` container (depth 2 is its level).
  #inGroups = false;
  #groupsIsList = true;
  #inMember = false;
  #memberPieces: Buffer[] = [];
  /** The deepest #depth inside the current member. */
  #memberDepth = 2;
  /** A comma was seen and no member after it yet (or the container just opened). */
  #separated = true;
  #memberCount = 0;
  #head: Record<string, unknown> | undefined;

  #rest: Buffer[] = [];
  #restBytes = 0;
  /** The first bytes while they may still be a UTF-8 byte order mark, which is dropped as fetch's text() drops it. */
  #lead: Buffer | undefined = Buffer.alloc(0);

  /** `listKey`: the top-level member to split (default `groups`). */
  constructor(handlers: SplitHandlers, options: { maxRestBytes?: number; listKey?: string } = {}) {
    this.#handlers = handlers;
    this.#maxRestBytes = options.maxRestBytes ?? 8 << 20;
    this.#listKey = options.listKey ?? 'groups';
  }

  write(input: Uint8Array): void {
    let chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (this.#lead !== undefined) {
      // Held until three bytes are in: a first piece may end inside the mark.
      const start = this.#lead.length === 0 ? chunk : Buffer.concat([this.#lead, chunk]);
      if (start.length < BOM.length && BOM.subarray(0, start.length).equals(start)) {
        this.#lead = start;
        return;
      }
      this.#lead = undefined;
      chunk = start.subarray(0, BOM.length).equals(BOM) ? start.subarray(BOM.length) : start;
    }
    const length = chunk.length;
    let runStart = 0; // first byte not yet given to the rest or to the current member
    let keyStart = 0; // first byte of the key being read, in this chunk
    let nextBackslash = -2; // position of the next backslash at or after i (-1: none in this chunk, -2: not searched)
    let i = 0;
    while (i < length) {
      if (this.#inString) {
        if (this.#escaped) {
          this.#escaped = false;
          i += 1;
          continue;
        }
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf(BACKSLASH, i);
        const quote = chunk.indexOf(QUOTE, i);
        const end = quote === -1 ? length : quote;
        if (nextBackslash !== -1 && nextBackslash < end) {
          this.#escaped = true;
          i = nextBackslash + 1;
          continue;
        }
        if (quote === -1) {
          i = length; // the string goes on in the next chunk
          continue;
        }
        if (this.#keyPieces) {
          this.#keyPieces.push(chunk.subarray(keyStart, quote));
          this.#lastKey = keyText(this.#keyPieces);
          this.#keyPieces = undefined;
        }
        this.#inString = false;
        i = quote + 1;
        continue;
      }
      const byte = chunk[i]!;
      if (this.#inGroups && this.#depth === 2 && !this.#inMember) {
        // Between members: separators are dropped; the container's end goes to the rest.
        if (isWhitespace(byte)) {
          runStart = i + 1;
        } else if (byte === COMMA) {
          if (this.#separated) throw new SplitError();
          this.#separated = true;
          runStart = i + 1;
        } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
          if (this.#separated && this.#memberCount > 0) throw new SplitError(); // a trailing comma
          this.#inGroups = false;
          this.#depth = 1;
          runStart = i;
        } else {
          if (!this.#separated) throw new SplitError(); // two members without a comma
          this.#separated = false;
          this.#inMember = true;
          this.#memberDepth = 2;
          runStart = i;
          continue; // this byte again, as the member's first
        }
        i += 1;
        continue;
      }
      if (this.#groupsValueNext && !isWhitespace(byte)) {
        // The value of the top-level `groups` key: split it when it is a list or an object.
        this.#groupsValueNext = false;
        if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
          this.#flush(chunk, runStart, i + 1);
          runStart = i + 1;
          this.#inGroups = true;
          this.#groupsIsList = byte === OPEN_BRACKET;
          this.#separated = true;
          this.#depth = 2;
          i += 1;
          continue;
        }
      }
      switch (byte) {
        case QUOTE:
          this.#inString = true;
          if (this.#depth === 1 && this.#expectKey) {
            this.#keyPieces = [];
            keyStart = i + 1;
            this.#expectKey = false;
          }
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          this.#depth += 1;
          if (this.#depth > this.#memberDepth) this.#memberDepth = this.#depth;
          if (this.#depth === 1) {
            this.#rootIsObject = byte === OPEN_BRACE;
            this.#expectKey = this.#rootIsObject;
          }
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          if (this.#inMember && this.#depth === 2) {
            this.#endMember(chunk, runStart, i);
            runStart = i;
            continue; // the container's end, read again between members
          }
          this.#depth -= 1;
          break;
        case COMMA:
          if (this.#inMember && this.#depth === 2) {
            this.#endMember(chunk, runStart, i);
            runStart = i;
            continue; // the separator, read again between members
          }
          if (this.#depth === 1 && this.#rootIsObject) this.#expectKey = true;
          break;
        case COLON:
          if (this.#depth === 1 && this.#rootIsObject && this.#lastKey === this.#listKey) {
            if (this.#groupsSeen) throw new SplitError(`answer has "${this.#listKey}" twice`, false);
            this.#groupsSeen = true;
            this.#groupsValueNext = true;
          }
          this.#lastKey = undefined;
          break;
      }
      i += 1;
    }
    if (this.#inString && this.#keyPieces) this.#keyPieces.push(chunk.subarray(keyStart, length));
    this.#flush(chunk, runStart, length);
  }

  /** The answer is complete: parses the rest and returns it. */
  end(): SplitResult {
    // A body shorter than the mark that began like it: its bytes are the answer (not JSON).
    if (this.#lead !== undefined && this.#lead.length > 0) {
      const lead = this.#lead;
      this.#lead = undefined;
      this.write(lead);
    }
    if (this.#inString || this.#inGroups || this.#depth !== 0) throw new SplitError();
    let rest: unknown;
    try {
      rest = JSON.parse(Buffer.concat(this.#rest).toString('utf8'));
    } catch {
      throw new SplitError();
    }
    return { rest, members: this.#memberCount };
  }

  /** Gives bytes [from, to) of the chunk to the current member, or to the rest. */
  #flush(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    const piece = chunk.subarray(from, to);
    if (this.#inMember) {
      this.#memberPieces.push(piece);
      return;
    }
    // Outside `groups` nothing is dropped, so the rest's bytes are what a whole parse would read.
    this.#restBytes += piece.length;
    if (this.#restBytes > this.#maxRestBytes) throw new SplitError(`answer has more than ${this.#maxRestBytes} bytes outside its "${this.#listKey}" list`, false);
    // The chunk's buffer may be reused by the caller: keep a copy.
    this.#rest.push(Buffer.from(piece));
  }

  #endMember(chunk: Buffer, runStart: number, end: number): void {
    this.#memberPieces.push(chunk.subarray(runStart, end));
    const bytes = Buffer.concat(this.#memberPieces);
    const text = bytes.toString('utf8');
    this.#memberPieces = [];
    this.#inMember = false;
    this.#head ??= this.#parseHead();
    let key: string | number;
    let value: unknown;
    try {
      if (this.#groupsIsList) {
        key = this.#memberCount;
        value = JSON.parse(text);
      } else {
        const entry = JSON.parse(`{${text}}`) as Record<string, unknown>;
        const keys = Object.keys(entry);
        if (keys.length !== 1) throw new SplitError();
        key = keys[0]!;
        value = entry[key];
      }
    } catch {
      throw new SplitError();
    }
    this.#memberCount += 1;
    // The member's containers begin at depth 3 (the answer is 1, `groups` 2).
    this.#handlers.member(value, key, this.#head, { bytes, levels: this.#memberDepth - 2 });
  }

  /** The members before `groups`: the rest so far, closed (`{"a":1,"groups":[` + `]}`). */
  #parseHead(): Record<string, unknown> {
    try {
      return JSON.parse(`${Buffer.concat(this.#rest).toString('utf8')}${this.#groupsIsList ? ']' : '}'}}`) as Record<string, unknown>;
    } catch {
      throw new SplitError();
    }
  }
}

/** A key's text from its bytes; escapes (`"gr\u006fups"`) read as JSON reads them. */
function keyText(pieces: Buffer[]): string {
  const raw = Buffer.concat(pieces).toString('utf8');
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

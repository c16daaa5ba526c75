import type { FileEncoding } from './file-processing.config';

/** Bytes looked at to detect the delimiter (the first lines of the file). */
const SNIFF_BYTES = 64 * 1024;

export interface DecodedText {
  /** The encoding used (`auto` resolved from the BOM). */
  encoding: Exclude<FileEncoding, 'auto'>;
  /** UTF-8 chunks, BOM removed. */
  chunks: AsyncGenerator<Buffer>;
  /** The start of the text (up to 64 KiB), for delimiter detection. */
  head: string;
}

/**
 * Reads chunks (strings as UTF-8 bytes) until at least `minBytes` have come, or the stream
 * ended; the iterator can be read on from there.
 */
export async function readHead(iterator: AsyncIterator<Buffer | string>, minBytes: number): Promise<{ chunks: Buffer[]; ended: boolean }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  while (bytes < minBytes) {
    const next = await iterator.next();
    if (next.done) return { chunks, ended: true };
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    chunks.push(chunk);
    bytes += chunk.length;
  }
  return { chunks, ended: false };
}

/**
 * Turns a byte stream in `encoding` into UTF-8 chunks (flat memory: one chunk at a time), with
 * the BOM removed. `auto`: UTF-16 LE/BE when the file starts with their BOM, otherwise UTF-8.
 * UTF-8 passes through untouched (no decode/encode round trip); other encodings go through
 * TextDecoder in streaming mode, so a character split across chunks is kept whole.
 */
export async function decodeToUtf8(source: AsyncIterable<Buffer | string>, encoding: FileEncoding): Promise<DecodedText> {
  const iterator = source[Symbol.asyncIterator]();
  // Read enough for the BOM and the first lines.
  const { chunks: first, ended: done } = await readHead(iterator, SNIFF_BYTES);
  let head = Buffer.concat(first);
  let resolved: Exclude<FileEncoding, 'auto'> = encoding === 'auto' ? 'utf-8' : encoding;
  if (encoding === 'auto') {
    if (head[0] === 0xff && head[1] === 0xfe) resolved = 'utf-16le';
    else if (head[0] === 0xfe && head[1] === 0xff) resolved = 'utf-16be';
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }

  if (resolved === 'utf-8') {
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) head = head.subarray(3);
    const start = head;
    const chunks = (async function* (): AsyncGenerator<Buffer> {
      if (start.length > 0) yield start;
      yield* rest();
    })();
    return { encoding: resolved, chunks, head: start.toString('utf8') };
  }

  // TextDecoder drops the BOM of its own encoding (ignoreBOM: false).
  const decoder = new TextDecoder(resolved);
  const headText = new TextDecoder(resolved).decode(head, { stream: true });
  const chunks = (async function* (): AsyncGenerator<Buffer> {
    const text = decoder.decode(head, { stream: true });
    if (text) yield Buffer.from(text, 'utf8');
    for await (const chunk of rest()) {
      const part = decoder.decode(chunk, { stream: true });
      if (part) yield Buffer.from(part, 'utf8');
    }
    const tail = decoder.decode();
    if (tail) yield Buffer.from(tail, 'utf8');
  })();
  return { encoding: resolved, chunks, head: headText };
}

const CANDIDATES = [',', ';', '\t', '|'] as const;

/**
 * Picks the delimiter from the first lines: the candidate (`,` `;` tab `|`) found the most times
 * outside quotes in the first line, preferring one whose count is the same on the next lines.
 * `,` when none is found.
 */
export function detectDelimiter(head: string, quote = '"'): string {
  const lines = splitLines(head, quote).slice(0, 6);
  if (lines.length === 0) return ',';
  const counts = lines.map((line) => CANDIDATES.map((c) => countOutsideQuotes(line, c, quote)));
  let best = ',';
  let bestScore = 0;
  CANDIDATES.forEach((candidate, i) => {
    const firstCount = counts[0]![i]!;
    if (firstCount === 0) return;
    const consistent = counts.slice(1).filter((c) => c[i] === firstCount).length;
    // Consistency across lines weighs more than the raw count.
    const score = (consistent + 1) * 1000 + firstCount;
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  });
  return best;
}

/** Complete lines of `text` (a quoted newline does not end a line); the last, partial line is dropped unless it is all there is. */
function splitLines(text: string, quote: string): string[] {
  const lines: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === quote) inQuotes = !inQuotes;
    else if (!inQuotes && (ch === '\n' || ch === '\r')) {
      const line = text.slice(start, i);
      if (line.trim() !== '') lines.push(line);
      if (ch === '\r' && text[i + 1] === '\n') i++;
      start = i + 1;
    }
  }
  if (lines.length === 0 && text.slice(start).trim() !== '') lines.push(text.slice(start));
  return lines;
}

function countOutsideQuotes(line: string, delimiter: string, quote: string): number {
  let n = 0;
  let inQuotes = false;
  for (const ch of line) {
    if (ch === quote) inQuotes = !inQuotes;
    else if (!inQuotes && ch === delimiter) n++;
  }
  return n;
}

import { existsSync } from 'fs';
import { Readable } from 'stream';
import { parentPort, Worker, workerData } from 'worker_threads';
import { FileFormatError, type FileLocation } from './file-processing.errors';
import { readHead } from './text-decoder';

/**
 * Parsing a file in a worker thread, whatever the format (csv.worker.ts, xlsx.worker.ts): the
 * calling thread downloads the file and posts its bytes (copied into fresh ArrayBuffers,
 * transferred: no second copy) to a thread that parses them and posts its results back
 * (records or rows in batches). The caller transforms, writes and uploads meanwhile, so a read
 * uses both cores of a two-core box instead of one.
 *
 * Protocol (one worker per file, terminated by the calling side at the end or on error):
 * - to the worker: `chunk` (the next bytes, transferred), `end`, `ack` (a message was taken);
 * - from the worker: `taken` (a chunk went into the parser: credit for the next), `data` (a
 *   message of the parser: format-specific), `done`, `failed`.
 * At most `CHUNKS_AHEAD` chunks wait in the worker and `MESSAGES_AHEAD` messages in the caller:
 * memory stays flat whatever the file size.
 */

/** What a parse thread is started with (`workerData`). */
export interface ParseThreadData<D> {
  /** The parser's own options. */
  data: D;
  /** Messages the worker may post before the caller takes them. */
  messagesAhead: number;
}

export type ToParseThread = { type: 'chunk'; chunk: Uint8Array } | { type: 'end' } | { type: 'ack' };

/** An error of the worker, as posted: a FileFormatError's parts, or any other error's name and message. */
export type ParseThreadError =
  | { format: true; location: FileLocation; reason: string; message: string; cause?: string }
  | { format: false; name: string; message: string };

export type FromParseThread<M> = { type: 'taken' } | { type: 'data'; message: M } | { type: 'done' } | { type: 'failed'; error: ParseThreadError };

/**
 * Default `minBytes` of the CSV and XLSX threads: a file that ends within its first MiB is parsed
 * in the calling thread (starting a thread costs more than it saves).
 */
export const PARSE_THREAD_MIN_BYTES = 1024 * 1024;

/** Input chunks posted ahead of the parser. */
const CHUNKS_AHEAD = 16;
/**
 * Messages the worker posts ahead of the caller unless the parser says otherwise (the CSV thread:
 * 8 batches of up to 1,000 records): room to absorb the caller's pauses (GC, upload backpressure)
 * without stopping the parse.
 */
const MESSAGES_AHEAD = 8;

/** The calling side of a parse thread. */
export interface ParseThread<M> {
  /** The parser's next message (taken: the parser goes on), undefined once it is done. Throws the parser's error, the download's error, or `aborted`. */
  next(): Promise<M | undefined>;
  /** Stops the download and the thread (idempotent). */
  stop(): Promise<void>;
}

/** The first `minBytes` of `source` (all of it if shorter) and the iterator of the rest; the source is destroyed if reading fails. */
export async function readSourceHead(source: Readable, minBytes: number): Promise<{ iterator: AsyncIterator<Buffer | string>; head: Buffer[]; ended: boolean }> {
  const iterator = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  try {
    const { chunks, ended } = await readHead(iterator, minBytes);
    return { iterator, head: chunks, ended };
  } catch (err) {
    source.destroy();
    throw err;
  }
}

/** How a parser's thread is chosen (the `csvWorker` / `xlsxWorker` executor options). */
export interface ParseThreadChoice<D> {
  /** false: always parse in the calling thread. */
  enabled?: boolean;
  /** Starts the thread (tests give a loader of the TypeScript entry). */
  createWorker?: (workerData: ParseThreadData<D>) => Worker;
}

/** Starters of the compiled worker scripts, by script (null: the script is absent). */
const starters = new Map<string, ((workerData: ParseThreadData<unknown>) => Worker) | null>();

/**
 * The thread starter to use: none when disabled, the one given, else one of the worker script
 * `script` — none when that script is absent (running from the TypeScript sources).
 */
export function parseThreadFactory<D>(script: string, choice: ParseThreadChoice<D> = {}): ((workerData: ParseThreadData<D>) => Worker) | undefined {
  if (choice.enabled === false) return undefined;
  if (choice.createWorker !== undefined) return choice.createWorker;
  if (!starters.has(script)) {
    // No inherited node options (a `--require` preload, an inspector): the thread only parses. V8's
    // heap flags (--max-old-space-size) are process-wide and apply to it anyway.
    starters.set(script, existsSync(script) ? (workerData) => new Worker(script, { workerData, execArgv: [] }) : null);
  }
  return starters.get(script) ?? undefined;
}

/**
 * Starts a parse thread with `createWorker` and feeds it `head` then the rest of `iterator` (the
 * download `source`). `label` names the thread in errors ("the CSV parser thread"); `messagesAhead` (default 8) how many messages it may post before the caller takes them.
 */
export function startParseThread<D, M>(
  source: Readable,
  iterator: AsyncIterator<Buffer | string>,
  head: Buffer[],
  options: { data: D; signal?: AbortSignal; label: string; messagesAhead?: number },
  createWorker: (workerData: ParseThreadData<D>) => Worker,
): ParseThread<M> {
  const { signal, label } = options;
  const worker = createWorker({ data: options.data, messagesAhead: options.messagesAhead ?? MESSAGES_AHEAD });

  // Messages from the worker, and the caller waiting for the next one.
  const inbox: FromParseThread<M>[] = [];
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  let chunksAhead = 0;
  let creditWaiter: (() => void) | undefined;
  const credit = (): void => {
    creditWaiter?.();
    creditWaiter = undefined;
  };
  const fail = (error: unknown): void => {
    failure ??= { error };
    notify();
    credit();
  };
  worker.on('message', (message: FromParseThread<M>) => {
    if (message.type === 'taken') {
      chunksAhead--;
      credit();
      return;
    }
    inbox.push(message);
    notify();
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => fail(new Error(`${label} stopped (exit code ${code})`)));
  const onAbort = (): void => fail(new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    signal?.removeEventListener('abort', onAbort);
    credit();
    // Destroying the download first settles a pending read of the pump (an async iterator's
    // return() waits for it); then the iterator is closed without waiting.
    source.destroy();
    void iterator.return?.(undefined).catch(() => undefined);
    await worker.terminate().catch(() => undefined);
  };

  // Feeds the file to the worker, a few chunks ahead of the parser.
  const send = (chunk: Buffer): void => {
    // A chunk of a network stream may share its ArrayBuffer with others: copy (into a buffer of
    // its own, not from the pool and not zero-filled), then transfer the copy.
    const copy = Buffer.allocUnsafeSlow(chunk.byteLength);
    chunk.copy(copy);
    chunksAhead++;
    worker.postMessage({ type: 'chunk', chunk: copy } satisfies ToParseThread, [copy.buffer]);
  };
  const pump = async (): Promise<void> => {
    try {
      for (const chunk of head) send(chunk);
      for (;;) {
        while (chunksAhead >= CHUNKS_AHEAD && !failure && !stopped) await new Promise<void>((resolve) => (creditWaiter = resolve));
        if (failure || stopped) return;
        const next = await iterator.next();
        if (failure || stopped) return;
        if (next.done) break;
        send(typeof next.value === 'string' ? Buffer.from(next.value) : next.value);
      }
      worker.postMessage({ type: 'end' } satisfies ToParseThread);
    } catch (err) {
      // The download failed: the caller throws this error as is (as the parser in this thread does).
      fail(err);
    }
  };
  void pump();

  const next = async (): Promise<M | undefined> => {
    while (inbox.length === 0 && !failure) await new Promise<void>((resolve) => (wake = resolve));
    if (failure) throw failure.error;
    const message = inbox.shift() as FromParseThread<M>;
    if (message.type === 'data') {
      // Taken: the worker parses on while this one is transformed and written.
      worker.postMessage({ type: 'ack' } satisfies ToParseThread);
      return message.message;
    }
    if (message.type === 'done') return undefined;
    if (message.type === 'failed') throw parseThreadError(message.error);
    throw new Error(`unexpected message from ${label}: ${message.type}`);
  };
  return { next, stop };
}

/** The worker's error as the calling thread throws it (a FileFormatError stays one). */
function parseThreadError(error: ParseThreadError): Error {
  if (error.format) return new FileFormatError(error.location, error.reason, error.cause !== undefined ? { cause: new Error(error.cause) } : {});
  const err = new Error(error.message);
  err.name = error.name;
  return err;
}

/**
 * The worker side (called once by a worker entry): receives the file's chunks as a Readable,
 * runs `parse` on it with the parser's options, and posts what `parse` posts, waiting while
 * `messagesAhead` messages are not taken yet. An error of `parse` is posted as `failed`.
 */
export function serveParseThread<D, M>(parse: (input: Readable, data: D, post: (message: M) => Promise<void>) => Promise<void>): void {
  const port = parentPort;
  if (port === null) throw new Error('a parse thread entry must run in a worker thread');
  const { data, messagesAhead } = workerData as ParseThreadData<D>;
  const send = (message: FromParseThread<M>): void => port.postMessage(message);

  /** Input chunks received and not yet read by the parser; null marks the end of the file. */
  const input: (Uint8Array | null)[] = [];
  let inputWaiter: (() => void) | undefined;
  /** Messages posted that the caller has not taken yet. */
  let ahead = 0;
  let ackWaiter: (() => void) | undefined;

  port.on('message', (message: ToParseThread) => {
    if (message.type === 'chunk' || message.type === 'end') {
      input.push(message.type === 'chunk' ? message.chunk : null);
      inputWaiter?.();
      inputWaiter = undefined;
    } else {
      ahead--;
      ackWaiter?.();
      ackWaiter = undefined;
    }
  });

  async function* chunks(): AsyncGenerator<Buffer> {
    for (;;) {
      while (input.length === 0) await new Promise<void>((resolve) => (inputWaiter = resolve));
      const chunk = input.shift() as Uint8Array | null;
      if (chunk === null) return;
      // Credit for the next chunk: the calling side keeps a few chunks ahead of the parser.
      send({ type: 'taken' });
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  }

  const post = async (message: M): Promise<void> => {
    send({ type: 'data', message });
    ahead++;
    while (ahead >= messagesAhead) await new Promise<void>((resolve) => (ackWaiter = resolve));
  };

  void (async () => {
    try {
      await parse(Readable.from(chunks(), { objectMode: false }), data, post);
      send({ type: 'done' });
    } catch (err) {
      if (err instanceof FileFormatError) {
        send({ type: 'failed', error: { format: true, location: err.location, reason: err.reason, message: err.message, cause: err.cause instanceof Error ? err.cause.message : undefined } });
      } else {
        send({ type: 'failed', error: { format: false, name: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err) } });
      }
    }
    // The calling side terminates this thread once it has the last message.
  })();
}

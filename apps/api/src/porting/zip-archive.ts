import { PassThrough } from 'stream';
import * as yauzl from 'yauzl';

/** Limits of a ZIP read by an import: entries and the size of each unpacked entry. */
export interface ZipReadLimits {
  maxEntries: number;
  maxEntryBytes: number;
}

/** A ZIP that cannot be read, or one over the limits; the message says which entry. */
export class ZipReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipReadError';
  }
}

/** True when the bytes start like a ZIP file (local file header `PK\x03\x04`, or an empty archive). */
export function looksLikeZip(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05) && (bytes[3] === 0x04 || bytes[3] === 0x06);
}

/** Writes files into a ZIP in memory (archiver 8, an ES module, loaded when first needed). */
export async function writeZip(files: readonly { name: string; content: string }[]): Promise<Buffer> {
  const { ZipArchive } = await import('archiver');
  const archive = new ZipArchive({ zlib: { level: 9 } });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    sink.on('end', resolve);
    archive.on('error', reject);
  });
  archive.pipe(sink);
  for (const file of files) archive.append(file.content, { name: file.name });
  await archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The files of a ZIP (folders skipped), each unpacked into memory within the limits (yauzl). */
export function readZip(bytes: Buffer, limits: ZipReadLimits): Promise<{ name: string; content: Buffer }[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(new ZipReadError(`not a readable ZIP file: ${err?.message ?? 'unknown error'}`));
      const out: { name: string; content: Buffer }[] = [];
      let count = 0;
      const fail = (e: Error): void => {
        zip.close();
        reject(e instanceof ZipReadError ? e : new ZipReadError(e.message));
      };
      zip.on('error', fail);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        if (++count > limits.maxEntries) return fail(new ZipReadError(`has more than ${limits.maxEntries} files`));
        if (entry.uncompressedSize > limits.maxEntryBytes) return fail(new ZipReadError(`${entry.fileName}: larger than ${limits.maxEntryBytes} bytes`));
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return fail(new ZipReadError(`${entry.fileName}: ${e?.message ?? 'cannot be read'}`));
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > limits.maxEntryBytes) {
              stream.destroy();
              fail(new ZipReadError(`${entry.fileName}: larger than ${limits.maxEntryBytes} bytes`));
            } else chunks.push(chunk);
          });
          stream.on('error', (se: Error) => fail(new ZipReadError(`${entry.fileName}: ${se.message}`)));
          stream.on('end', () => {
            out.push({ name: entry.fileName, content: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

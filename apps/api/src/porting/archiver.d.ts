// archiver 8 ships ES modules without type declarations (and @types/archiver describes the v7 API):
// the part of its API this app uses.
declare module 'archiver' {
  import { Transform } from 'stream';

  export class ZipArchive extends Transform {
    constructor(options?: { zlib?: { level?: number } });
    append(source: string | Buffer, data: { name: string; date?: Date }): this;
    finalize(): Promise<void>;
  }
}

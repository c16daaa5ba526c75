import { RequestValidationError } from '../errors/app-errors';
import type { ImportItem } from './job-import.service';
import { UnreadableFile } from './porting.util';
import { looksLikeZip, readZip, ZipReadError } from './zip-archive';

/** Most definitions one import takes, and the largest file or ZIP entry. */
export const MAX_IMPORT_DEFINITIONS = 500;
export const MAX_IMPORT_FILE_BYTES = 10 * 1024 * 1024;

/** An uploaded file as multer (memory storage) gives it. */
export interface UploadedImportFile {
  fieldname: string;
  originalname: string;
  buffer: Buffer;
}

/**
 * The documents of uploaded files (used by the API and the dashboard's import page): a JSON file
 * holding one definition or an array of them, or a ZIP of such files (its `.json` entries, by name).
 */
export async function importItemsFromFiles(files: readonly UploadedImportFile[]): Promise<ImportItem[]> {
  const items: ImportItem[] = [];
  for (const file of files) {
    const name = file.originalname || file.fieldname;
    if (looksLikeZip(file.buffer)) {
      let entries: { name: string; content: Buffer }[];
      try {
        entries = await readZip(file.buffer, { maxEntries: MAX_IMPORT_DEFINITIONS, maxEntryBytes: MAX_IMPORT_FILE_BYTES });
      } catch (err) {
        if (err instanceof ZipReadError) throw new RequestValidationError([{ path: name, message: err.message }]);
        throw err;
      }
      for (const entry of entries.filter((e) => e.name.toLowerCase().endsWith('.json')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        items.push(...documents(`${name}:${entry.name}`, entry.content));
      }
    } else {
      items.push(...documents(name, file.buffer));
    }
  }
  return items;
}

/** The documents of one JSON file: an object is one, an array its items; unparsable JSON is one item that fails alone. */
function documents(source: string, content: Buffer): ImportItem[] {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch (err) {
    return [{ source, value: new UnreadableFile(`not valid JSON: ${(err as Error).message}`) }];
  }
  if (Array.isArray(value)) return value.map((v: unknown, i) => ({ source: `${source}[${i}]`, value: v }));
  return [{ source, value }];
}

import { readdirSync, readFileSync, statSync } from 'fs';
import path from 'path';
import { CliError, EXIT } from './cli.errors';

/** One document of a job file: a definition or an export file, and where it is (`jobs/a.json`, `all.json[2]`). */
export interface JobDocument {
  source: string;
  value: unknown;
}

/** The `.json` files of a folder (not recursive, sorted), or the file itself. */
export function jsonFiles(target: string): string[] {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    throw new CliError(`${target}: no such file or folder`, EXIT.INVALID);
  }
  if (!stat.isDirectory()) return [target];
  return readdirSync(target).filter((f) => f.toLowerCase().endsWith('.json')).sort().map((f) => path.join(target, f));
}

/** The documents of the JSON files at `target`: an object is one document, an array one per item. */
export function readJobDocuments(target: string): JobDocument[] {
  const out: JobDocument[] = [];
  for (const file of jsonFiles(target)) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new CliError(`${file}: not valid JSON: ${(err as Error).message}`, EXIT.INVALID);
    }
    if (Array.isArray(value)) value.forEach((item: unknown, i) => out.push({ source: `${file}[${i}]`, value: item }));
    else out.push({ source: file, value });
  }
  return out;
}

/** The definition inside a document: the `definition` of an export file, else the document itself. */
export function definitionOf(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'format_version' in value) {
    return (value as { definition?: unknown }).definition;
  }
  return value;
}

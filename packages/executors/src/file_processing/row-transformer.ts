import { ConditionError, type ConditionAst, conditionPathRoots, evaluateRowCondition, parseCondition } from '@vecron/context';
import { UnrecoverableStepError } from '../errors';
import type { Row } from '../rows/row-data';
import type { FileTransformation, RenameStyle } from './file-processing.config';
import { FileColumnNotFoundError, FileRowError, type FileLocation } from './file-processing.errors';
import { ConversionProblem, createConverter } from './value-converter';

/** Where the row being transformed comes from (for error messages). */
export interface RowPosition {
  row: number;
  line?: number;
}

type RowOp = (values: unknown[], position: RowPosition) => boolean;

/**
 * The transformations of a read, compiled once the file's columns are known. Column mappings,
 * renames and selects change only the column list (no per-row cost); conversions and filters run
 * on each row's array of values. `transform` gives the output row object, or null when a filter
 * drops it; a row that cannot be converted throws FileRowError.
 */
export class RowTransformer {
  /** Output column names, in order. */
  readonly columns: string[];
  private readonly ops: RowOp[] = [];
  /** Index of each output column in the working values array. */
  private readonly outputIndexes: number[];

  constructor(
    transformations: readonly FileTransformation[],
    inputColumns: readonly string[],
    private readonly where: Omit<FileLocation, 'row' | 'line'>,
  ) {
    // The working array keeps the input positions; `current` maps the current column list onto it.
    let current = inputColumns.map((name, index) => ({ name, index }));
    const find = (name: string, what: string): number => {
      const i = current.findIndex((c) => c.name === name);
      if (i < 0) throw new FileColumnNotFoundError(where.file, name, what, current.map((c) => c.name));
      return i;
    };
    transformations.forEach((t, n) => {
      const what = `transformations[${n}] (${t.type})`;
      switch (t.type) {
        case 'column_mapping': {
          const i = find(t.from, what);
          if (t.to !== t.from && current.some((c) => c.name === t.to)) {
            throw new UnrecoverableStepError(`${where.file}: ${what} renames ${JSON.stringify(t.from)} to ${JSON.stringify(t.to)}, which already exists`, 'FILE_COLUMN_CONFLICT');
          }
          current[i] = { name: t.to, index: current[i]!.index };
          break;
        }
        case 'rename_all': {
          current = current.map((c) => ({ name: renameColumn(c.name, t.style), index: c.index }));
          const seen = new Set<string>();
          for (const c of current) {
            if (seen.has(c.name)) {
              throw new UnrecoverableStepError(`${where.file}: ${what} gives two columns the name ${JSON.stringify(c.name)}`, 'FILE_COLUMN_CONFLICT');
            }
            seen.add(c.name);
          }
          break;
        }
        case 'select':
          current = t.columns.map((name) => current[find(name, what)]!);
          break;
        case 'type_conversion': {
          const column = current[find(t.column, what)]!;
          const convert = createConverter(t);
          const index = column.index;
          const name = column.name;
          this.ops.push((values, position) => {
            try {
              values[index] = convert(values[index]);
            } catch (err) {
              if (err instanceof ConversionProblem) {
                throw new FileRowError({ ...this.where, ...position, column: name, value: values[index] }, `${err.reason} (${t.target_type})`);
              }
              throw err;
            }
            return true;
          });
          break;
        }
        case 'filter': {
          const ast: ConditionAst = parseCondition(t.condition, { anyRoot: true });
          // Only the columns the condition reads are copied into the row it sees (it reads no other key).
          const read = new Set(conditionPathRoots(ast));
          const view = current.filter((c) => read.has(c.name));
          // One object reused for every row (the condition only reads it while it runs).
          const row: Row = {};
          this.ops.push((values, position) => {
            for (const c of view) row[c.name] = values[c.index] ?? null;
            try {
              return evaluateRowCondition(ast, row);
            } catch (err) {
              if (err instanceof ConditionError) {
                throw new FileRowError({ ...this.where, ...position, ...(err.path ? { column: err.path } : {}) }, `filter ${JSON.stringify(t.condition)}: ${err.message}`);
              }
              throw err;
            }
          });
          break;
        }
      }
    });
    this.columns = current.map((c) => c.name);
    this.outputIndexes = current.map((c) => c.index);
  }

  /** The output values in the order of `columns`, or null when a filter drops the row. `values` is modified in place. */
  transformValues(values: unknown[], position: RowPosition): unknown[] | null {
    for (const op of this.ops) if (!op(values, position)) return null;
    const { outputIndexes } = this;
    const out = new Array<unknown>(outputIndexes.length);
    for (let i = 0; i < outputIndexes.length; i++) {
      const v = values[outputIndexes[i]!];
      out[i] = v === undefined ? null : v;
    }
    return out;
  }

  /** The output row, or null when a filter drops it. `values` is modified in place. */
  transform(values: unknown[], position: RowPosition): Row | null {
    for (const op of this.ops) if (!op(values, position)) return null;
    const row: Row = {};
    const { columns, outputIndexes } = this;
    for (let i = 0; i < columns.length; i++) {
      const v = values[outputIndexes[i]!];
      row[columns[i]!] = v === undefined ? null : v;
    }
    return row;
  }
}

/** `Số tiền (VND)` → snake_case `số_tiền_vnd`; lower; upper; trim. */
export function renameColumn(name: string, style: RenameStyle): string {
  switch (style) {
    case 'trim':
      return name.trim();
    case 'lower':
      return name.trim().toLowerCase();
    case 'upper':
      return name.trim().toUpperCase();
    case 'snake_case':
      return (
        name
          .trim()
          .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1_$2')
          .toLowerCase()
          .replace(/[^\p{L}\p{N}]+/gu, '_')
          .replace(/^_+|_+$/g, '') || name
      );
  }
}

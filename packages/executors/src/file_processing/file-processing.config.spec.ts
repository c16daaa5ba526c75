import { StepConfigError } from '../errors';
import { validateStepConfig, type StepConfigMode } from '../validate-step-config';
import { FileProcessingStepConfig, FilterTransformation, TypeConversionTransformation } from './file-processing.config';
import { FileProcessingExecutor } from './file-processing.executor';

const executor = new FileProcessingExecutor();

function issuesOf(raw: unknown, mode: StepConfigMode = 'run'): { path: string; message: string }[] {
  try {
    validateStepConfig(executor, raw, { mode });
  } catch (err) {
    if (err instanceof StepConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

const read = (options: Record<string, unknown> = {}) => ({ operation: 'read', format: 'csv', source_path: 'input/a.csv', options });

describe('FileProcessingStepConfig', () => {
  it('accepts the existing format: delimiter, streaming, transformations with decimal, datetime with format', () => {
    const config = validateStepConfig(
      executor,
      read({
        delimiter: ';',
        streaming: true,
        transformations: [
          { type: 'column_mapping', from: 'Số tiền', to: 'amount' },
          { type: 'type_conversion', column: 'amount', target_type: 'decimal', scale: 2 },
          { type: 'type_conversion', column: 'at', target_type: 'datetime', format: 'DD/MM/YYYY HH:mm' },
          { type: 'filter', condition: "amount != null && ['Trạng thái'] == 'paid'" },
        ],
      }),
    );
    expect(config).toBeInstanceOf(FileProcessingStepConfig);
    expect(config.timeout_seconds).toBe(3600);
    expect(config.options!.transformations![1]).toBeInstanceOf(TypeConversionTransformation);
    expect(config.options!.transformations![3]).toBeInstanceOf(FilterTransformation);
  });

  it('accepts an excel write with a template data_source at save and an array at run', () => {
    const write = { operation: 'write', format: 'excel', destination_path: 'report_{{execution_date}}.xlsx', options: { sheet_name: 'Report' } };
    expect(() => validateStepConfig(executor, { ...write, data_source: '{{steps.read.output}}' }, { mode: 'save' })).not.toThrow();
    expect(() => validateStepConfig(executor, { ...write, data_source: [{ a: 1 }] })).not.toThrow();
    expect(() => validateStepConfig(executor, { ...write, data_source: { data_ref: 'jobs/j/x.ndjson' } })).not.toThrow();
    expect(issuesOf({ ...write, data_source: '{{steps.read.output}}' })).toEqual([
      { path: 'config.data_source', message: 'must be an array of rows, a step output ({data}, {rows}, {data_ref} or {rows_ref}) or {data_ref}/{rows_ref}' },
    ]);
  });

  it('source_files: a list of keys or file entries instead of source_path; a template passes at save', () => {
    const many = { operation: 'read', format: 'csv' };
    expect(() => validateStepConfig(executor, { ...many, source_files: '{{steps.download.output.files}}' }, { mode: 'save' })).not.toThrow();
    const config = validateStepConfig(executor, { ...many, source_files: ['input/a.csv', { path: 'jobs/j/b.csv', filename: 'b.csv', size: 3 }] });
    expect(config.source_files).toEqual(['input/a.csv', { path: 'jobs/j/b.csv', filename: 'b.csv', size: 3 }]);
    expect(() => validateStepConfig(executor, { ...many, source_files: [] })).not.toThrow();
    expect(issuesOf({ ...many, source_files: '{{steps.download.output.files}}' })).toEqual([
      { path: 'config.source_files', message: 'must be an array of object keys or of file entries with a path' },
    ]);
    expect(issuesOf({ ...many, source_files: ['a.csv', { name: 'b.csv' }] })).toEqual([
      { path: 'config.source_files', message: 'item 1 must be a non-empty key (at most 1024 characters) or an object with such a path' },
    ]);
    expect(issuesOf({ ...many, source_path: 'a.csv', source_files: ['b.csv'] })).toEqual([{ path: 'config.source_files', message: 'cannot be combined with source_path' }]);
    expect(issuesOf({ ...many, format: 'excel', source_files: ['b.xlsx'], options: { all_sheets: true } })).toEqual([
      { path: 'config.source_files', message: 'cannot be combined with options.all_sheets' },
    ]);
    expect(issuesOf({ operation: 'write', format: 'csv', destination_path: 'a.csv', data_source: [], source_files: ['b.csv'] })).toEqual([
      { path: 'config.source_files', message: 'is only for operation read' },
    ]);
  });

  it('refuses a filter whose condition does not parse, at save time, with the parser position', () => {
    const issues = issuesOf(read({ transformations: [{ type: 'filter', condition: 'amount > > 1' }] }), 'save');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('config.options.transformations[0].condition');
    expect(issues[0]!.message).toMatch(/^is not a valid condition: .* at position \d+$/);
  });

  it('puts cross-field errors on the wrong field', () => {
    expect(issuesOf({ operation: 'read', format: 'csv' })).toEqual([{ path: 'config.source_path', message: 'is required for operation read' }]);
    expect(issuesOf({ operation: 'write', format: 'csv', destination_path: 'a.csv', data_source: [], source_path: 'x.csv' })).toEqual([
      { path: 'config.source_path', message: 'is only for operation read' },
    ]);
    expect(issuesOf(read({ sheet_name: 'S', sheet_index: 0 }))).toEqual([{ path: 'config.options.sheet_name', message: 'cannot be combined with sheet_index' }]);
    expect(issuesOf(read({ transformations: [{ type: 'type_conversion', column: 'a', target_type: 'integer', format: 'DD/MM/YYYY' }] }))).toEqual([
      { path: 'config.options.transformations[0].format', message: 'is only for target_type date or datetime' },
    ]);
  });

  it('reports a bad transformation type, target type, date format or delimiter, and unknown fields', () => {
    expect(issuesOf(read({ transformations: [{ type: 'explode', column: 'a' }] }))).toEqual([
      { path: 'config.options.transformations[0].type', message: 'must be one of column_mapping, type_conversion, filter, select, rename_all' },
    ]);
    expect(issuesOf(read({ transformations: [{ type: 'type_conversion', column: 'a', target_type: 'float' }] }))).toEqual([
      { path: 'config.options.transformations[0].target_type', message: 'must be one of string, integer, decimal, number, boolean, date, datetime' },
    ]);
    expect(issuesOf(read({ transformations: [{ type: 'type_conversion', column: 'a', target_type: 'date', format: 'dd/mm/yyyy' }] }))[0]!.path).toBe(
      'config.options.transformations[0].format',
    );
    expect(issuesOf(read({ delimiter: '::' }))).toEqual([{ path: 'config.options.delimiter', message: 'must be one of ",", ";", "\\t", "|", "auto"' }]);
    expect(issuesOf({ ...read(), colour: 'red' })).toEqual([{ path: 'config.colour', message: 'is not allowed' }]);
    expect(issuesOf(read({ transformations: [{ type: 'column_mapping', from: 'a', to: 'b', extra: 1 }] }))).toEqual([
      { path: 'config.options.transformations[0].extra', message: 'is not allowed' },
    ]);
  });
});

import ExcelJS from 'exceljs';
import type { Execution } from './support/api-client';
import { storageFor, waitFor } from './support/services';
import { TestSystem } from './support/system';

jest.setTimeout(120_000);

/* eslint-disable @typescript-eslint/no-explicit-any -- free-form JSON under test */

describe('file_processing end to end: a CSV in S3 → read + transform → XLSX in the output folder', () => {
  const sys = new TestSystem({ name: 'e2e_file' });
  const storage = storageFor('vecron-e2e-file');

  beforeAll(async () => {
    await sys.start();
  });

  afterAll(async () => {
    await sys.stop();
  });

  afterEach(() => {
    const failed = (expect.getState() as { suppressedErrors: unknown[] }).suppressedErrors.length > 0;
    if (failed) process.stderr.write(sys.logs());
  });

  async function finished(executionId: string): Promise<Execution> {
    return waitFor(async () => {
      const e = await sys.client.ok<Execution>('GET', `/api/executions/${executionId}`);
      return ['success', 'failed', 'timeout'].includes(e.status) ? e : null;
    }, 60_000, 'the execution to finish');
  }

  it('maps, converts to exact decimals, filters, writes an XLSX and lists it in the context files', async () => {
    const job = await sys.client.createJob({
      name: 'bank-file',
      schedule: null,
      max_retries: 0,
      steps: [
        {
          id: 'read',
          name: 'Read the bank CSV',
          type: 'file_processing',
          config: {
            operation: 'read',
            format: 'csv',
            source_path: 'jobs/{{job_id}}/input/giao-dich.csv',
            options: {
              streaming: true,
              transformations: [
                { type: 'column_mapping', from: 'Khách hàng', to: 'customer' },
                { type: 'column_mapping', from: 'Số tiền', to: 'amount' },
                { type: 'type_conversion', column: 'amount', target_type: 'decimal' },
                { type: 'type_conversion', column: 'Mã', target_type: 'integer' },
                { type: 'filter', condition: "['Trạng thái'] == 'paid'" },
              ],
            },
          },
        },
        {
          id: 'write',
          name: 'Write the report',
          type: 'file_processing',
          config: { operation: 'write', format: 'excel', destination_path: 'report_{{execution_id}}.xlsx', data_source: '{{steps.read.output}}', options: { sheet_name: 'Báo cáo' } },
        },
      ],
    });
    // The CSV is uploaded to the job's folder first and referenced by its full key.
    const sourceKey = `jobs/${job.id}/input/giao-dich.csv`;
    const csv = '\uFEFFMã;Khách hàng;Số tiền;Trạng thái\r\n1;Nguyễn Văn Ấn;0.10;paid\r\n2;"Trần ""Bích""\r\nHà Nội";0.20;paid\r\n3;Lê Văn Cường;99.99;void\r\n';
    await storage.put(sourceKey, Buffer.from(csv, 'utf8'));

    const trig = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    const e = await finished(trig.execution_id);
    expect(e.error).toBeNull();
    expect(e.status).toBe('success');

    const ctx = await sys.client.ok<Record<string, any>>('GET', `/api/executions/${e.id}/context`);
    expect(ctx.steps.read.output).toEqual({
      data: [
        { Mã: 1, customer: 'Nguyễn Văn Ấn', amount: '0.10', 'Trạng thái': 'paid' },
        { Mã: 2, customer: 'Trần "Bích"\r\nHà Nội', amount: '0.20', 'Trạng thái': 'paid' },
      ],
      row_count: 2,
      rows_read: 3,
      columns: ['Mã', 'customer', 'amount', 'Trạng thái'],
      rejected: { count: 0, first: [] },
    });
    const key = `jobs/${job.id}/executions/${e.id}/output/report_${e.id}.xlsx`;
    expect(ctx.files).toEqual([
      { path: key, filename: `report_${e.id}.xlsx`, size: expect.any(Number), mime_type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', row_count: 2, created_at: expect.any(String) },
    ]);
    expect(ctx.steps.write.output).toEqual({ files: ctx.files, row_count: 2 });

    const body = await storage.get(key);
    expect(body.length).toBe(ctx.files[0].size);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(body as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Báo cáo')!;
    expect(ws.rowCount).toBe(3);
    expect(ws.getRow(1).values).toEqual([undefined, 'Mã', 'customer', 'amount', 'Trạng thái']);
    expect(ws.getRow(2).values).toEqual([undefined, 1, 'Nguyễn Văn Ấn', '0.10', 'paid']);
    // XML turns a CR LF inside text into LF.
    expect(ws.getRow(3).values).toEqual([undefined, 2, 'Trần "Bích"\nHà Nội', '0.20', 'paid']);
  });

  it('a malformed CSV fails the step naming the file, row and reason; no file is registered', async () => {
    const job = await sys.client.createJob({
      name: 'bad-file',
      schedule: null,
      max_retries: 0,
      steps: [
        { id: 'first', name: 'Write a file first', type: 'file_processing', config: { operation: 'write', format: 'csv', destination_path: 'first.csv', data_source: [{ a: 1 }] } },
        { id: 'read', name: 'Read', type: 'file_processing', config: { operation: 'read', format: 'csv', source_path: 'jobs/{{job_id}}/input/bad.csv' } },
      ],
    });
    const sourceKey = `jobs/${job.id}/input/bad.csv`;
    await storage.put(sourceKey, 'a,b\n1,2\n3,4,5\n');
    const trig = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    const e = await finished(trig.execution_id);
    expect(e.status).toBe('failed');
    expect(e.error).toMatchObject({ step_id: 'read' });
    expect(e.error!.message).toContain(`${sourceKey} row 2 (line 3): has 3 fields, expected 2`);
    const ctx = await sys.client.ok<Record<string, any>>('GET', `/api/executions/${e.id}/context`);
    // The first step's file is registered; the failed step added nothing.
    expect(ctx.files.map((f: { filename: string }) => f.filename)).toEqual(['first.csv']);
    expect(ctx.steps.read.status).toBe('failed');
  });
});

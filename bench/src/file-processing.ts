/**
 * file_processing benchmark (see bench/README.md, "File step"): MB/s and peak RSS of
 * read → transform → write for a generated CSV and XLSX in S3, next to the bare parser reading
 * the same object in the same run.
 *
 *   node bench/dist/file-processing.js            (after `pnpm --filter @vecron/bench build`)
 *
 * Env: BENCH_FILE_CSV_MB=1024  BENCH_FILE_XLSX_MB=200  BENCH_FILE_SECTIONS=csv,xlsx
 *      BENCH_FILE_KEEP=1 (keep and reuse the generated inputs)  BENCH_FILE_JOB=bench-file (object folder)
 *      BENCH_FILE_PROFILE=DIR (a V8 CPU profile of each child, for `node bench/dist/cpu-profile-top.js`)
 *      BENCH_FILE_TIMELINE=1 (each child prints a per-second timeline to stderr: event-loop utilisation of the
 *      main and parse threads, CPU per thread and of the S3 server, MB down/up; file-timeline.ts)
 *      BENCH_FILE_IN_THREAD=0, BENCH_FILE_CONVERT=0 (skip those runs)
 *      BENCH_FILE_STEP_FLAGS='--flag …' (more node flags for the single-pass children)
 *      BENCH_FILE_READER_YOUNG_MB=N (the parse thread's young generation, resourceLimits)
 *      BENCH_FILE_REPEAT=N (N rounds of bare parser → single pass, each against its own round's bare parser)
 *
 * Each measurement runs in its own child process (this file with a mode argument), so that its
 * peak RSS (VmHWM) is its own. All children read the same objects from the local S3 endpoint.
 */
import { execFileSync } from 'child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'fs';
import os from 'os';
import path from 'path';
import { PassThrough, Transform } from 'stream';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import pino from 'pino';
import { Worker } from 'worker_threads';
import { FileProcessingExecutor, validateStepConfig, type CsvWorkerData, type XlsxWorkerData, type FileReadOutput, type FileReadToFileOutput, type FileWriteOutput, type StepRunContext } from '@vecron/executors';
import { MinioObjectStorage } from '@vecron/storage';
import { BENCH_DIR, fmt, S3_BUCKET, S3_HOST, S3_KEY, S3_PORT, table } from './common';
import { StepTimeline } from './file-timeline';

/** BENCH_FILE_JOB: the job folder of the run's objects (two runs at once need two folders). */
const JOB = process.env.BENCH_FILE_JOB ?? 'bench-file';
const EXEC = 'e1';
const DIR = `jobs/${JOB}/executions/${EXEC}`;
const MB = 1024 * 1024;

function storage(): MinioObjectStorage {
  return new MinioObjectStorage({ endPoint: S3_HOST, port: S3_PORT, useSSL: false, accessKey: S3_KEY, secretKey: S3_KEY, bucket: S3_BUCKET });
}

/** Peak resident set size of this process so far (VmHWM), MB. */
function peakRssMb(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.replace(/\D+/g, '')) / 1024 : NaN;
}

/** Largest V8 heap (total) and off-heap memory (Buffers, external) seen, sampled every 200 ms: where the RSS goes. */
const memoryPeaks = { heap_total_mb: 0, heap_used_mb: 0, external_mb: 0 };
function sampleMemory(): void {
  const m = process.memoryUsage();
  memoryPeaks.heap_total_mb = Math.max(memoryPeaks.heap_total_mb, Math.round(m.heapTotal / MB));
  memoryPeaks.heap_used_mb = Math.max(memoryPeaks.heap_used_mb, Math.round(m.heapUsed / MB));
  memoryPeaks.external_mb = Math.max(memoryPeaks.external_mb, Math.round(m.external / MB));
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// ---------------------------------------------------------------------------------------------
// data

const NAMES = ['Nguyễn Văn Ấn', 'Trần Thị Bích', 'Lê Quốc Cường', 'Phạm Minh Đức', 'Hoàng Thị Ửng', 'Đặng Văn Giang', 'Vũ Thị Hằng'];
const CITIES = ['Hà Nội', 'Thành phố Hồ Chí Minh', 'Đà Nẵng', 'Hải Phòng', 'Cần Thơ'];
const STATUSES = ['paid', 'paid', 'paid', 'paid', 'void'];

function csvRow(i: number): string {
  const amount = `${(i * 7919) % 100_000_000}.${String(i % 100).padStart(2, '0')}`;
  const day = String((i % 28) + 1).padStart(2, '0');
  return `${i};VN${String(i * 31).padStart(12, '0')};${NAMES[i % NAMES.length]};${amount};VND;${STATUSES[i % STATUSES.length]};2024-03-${day};"Chuyển khoản ${CITIES[i % CITIES.length]}; mã ${i}"\r\n`;
}
const CSV_HEADER = 'id;account;Khách hàng;Số tiền;currency;status;value_date;description\r\n';

async function generateCsv(key: string, bytes: number): Promise<{ rows: number; bytes: number }> {
  let rows = 0;
  let written = 0;
  function* chunks(): Generator<Buffer> {
    let buf = CSV_HEADER;
    while (written < bytes) {
      for (let k = 0; k < 5000; k++) buf += csvRow(++rows);
      const b = Buffer.from(buf, 'utf8');
      written += b.length;
      buf = '';
      yield b;
    }
  }
  const { Readable } = await import('stream');
  await storage().putStream(key, Readable.from(chunks(), { objectMode: false }), { contentType: 'text/csv' });
  return { rows, bytes: written };
}

async function generateXlsx(key: string, bytes: number): Promise<{ rows: number; bytes: number }> {
  let written = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      written += chunk.length;
      cb(null, chunk);
    },
  });
  const body = new PassThrough({ highWaterMark: MB });
  counter.pipe(body);
  const upload = storage().putStream(key, body);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: counter, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet('Giao dịch');
  ws.getColumn(4).numFmt = '#,##0.00';
  ws.getColumn(7).numFmt = 'yyyy-mm-dd';
  const header = ['id', 'account', 'Khách hàng', 'Số tiền', 'currency', 'status', 'value_date', 'description'];
  // 12 extra columns (20 in all) come to ~160 MB at Excel's row limit: a larger file needs wider rows
  // to fit in one sheet (20 extra columns, 28 in all, reach 200 MB at ~960,000 rows).
  const extraColumns = bytes > 160 * MB ? 20 : 12;
  for (let c = 1; c <= extraColumns; c++) header.push(`extra_${c}`);
  ws.addRow(header).commit();
  let rows = 0;
  // Compressed size trails what was committed: stop on the counted output, below Excel's row limit.
  while (written < bytes && rows < 1_048_000) {
    rows++;
    const values: unknown[] = [
      rows,
      `VN${String(rows * 31).padStart(12, '0')}`,
      NAMES[rows % NAMES.length],
      ((rows * 7919) % 100_000_000) + (rows % 100) / 100,
      'VND',
      STATUSES[rows % STATUSES.length],
      new Date(Date.UTC(2024, 2, (rows % 28) + 1)),
      `Chuyển khoản ${CITIES[rows % CITIES.length]}; mã ${rows}`,
    ];
    for (let c = 1; c <= extraColumns; c++) values.push(c % 3 === 0 ? `${rows.toString(36)}-${c}-${(rows * c) % 9973}` : (rows * c * 2654435761) % 1_000_003);
    ws.addRow(values).commit();
    if (rows % 64 === 0) {
      // As the product's writer does: exceljs feeds deflate without backpressure.
      const deflate = (ws as unknown as { stream?: { pipes?: NodeJS.WritableStream[] } }).stream?.pipes?.[0] as { writableNeedDrain?: boolean; once(e: string, f: () => void): void } | undefined;
      if (deflate?.writableNeedDrain) await new Promise<void>((r) => deflate.once('drain', r));
      else if (counter.writableNeedDrain) await new Promise((r) => counter.once('drain', r));
      else await new Promise((r) => setImmediate(r));
    }
  }
  ws.commit();
  await wb.commit();
  await upload;
  return { rows, bytes: written };
}

// ---------------------------------------------------------------------------------------------
// children

async function childParseCsv(key: string): Promise<Record<string, number>> {
  const timeline = new StepTimeline();
  const s = storage();
  timeline.instrument(s);
  const started = Date.now();
  const stream = await s.getStream(key);
  // csv-parse at its fastest for this file (no per-record info: the step does not ask for it either).
  const parser = parse({ delimiter: ';', relax_column_count: true, bom: true });
  stream.pipe(parser);
  let records = 0;
  for await (const _r of parser) records++;
  const ms = Date.now() - started;
  return { ms, records, cpu_ms: cpuMs(), peak_rss_mb: peakRssMb(), ...timeline.finish('bare parser') };
}

/**
 * The least a CSV → CSV conversion does: csv-parse from S3 piped into csv-stringify (stream API,
 * as one would write it) piped into an upload to S3. Every record is written (no filter).
 */
async function childConvertCsv(key: string): Promise<Record<string, number>> {
  const timeline = new StepTimeline();
  const s = storage();
  timeline.instrument(s);
  const started = Date.now();
  const stream = await s.getStream(key);
  const parser = parse({ delimiter: ';', relax_column_count: true, bom: true });
  let records = 0;
  const unwrap = new Transform({
    objectMode: true,
    transform(record: string[], _e, cb) {
      records++;
      cb(null, record);
    },
  });
  const body = new PassThrough({ highWaterMark: MB });
  stream.pipe(parser).pipe(unwrap).pipe(stringify({ delimiter: ';', record_delimiter: 'windows' })).pipe(body);
  await s.putStream(`${DIR}/bare-out.csv`, body, { contentType: 'text/csv' });
  const ms = Date.now() - started;
  return { ms, records, cpu_ms: cpuMs(), peak_rss_mb: peakRssMb(), ...timeline.finish('bare convert') };
}

async function childParseXlsx(key: string): Promise<Record<string, number>> {
  const started = Date.now();
  const stream = await storage().getStream(key);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' });
  let records = 0;
  for await (const ws of reader) {
    for await (const row of ws) {
      row.eachCell(() => undefined);
      records++;
    }
  }
  return { ms: Date.now() - started, records, cpu_ms: cpuMs(), peak_rss_mb: peakRssMb() };
}

/** The transformations every pipeline run applies (both shapes of the job). */
const TRANSFORMATIONS = [
  { type: 'column_mapping', from: 'Khách hàng', to: 'customer' },
  { type: 'column_mapping', from: 'Số tiền', to: 'amount' },
  { type: 'type_conversion', column: 'id', target_type: 'integer' },
  { type: 'type_conversion', column: 'amount', target_type: 'decimal', scale: 2 },
  { type: 'filter', condition: "status == 'paid'" },
  { type: 'select', columns: ['id', 'account', 'customer', 'amount', 'currency', 'value_date', 'description'] },
];

/** The run context of a bench step in the bench execution's folder. */
function stepRun(stepId: string, s: ReturnType<typeof storage>): StepRunContext {
  return {
    jobId: JOB,
    executionId: EXEC,
    stepId,
    signal: new AbortController().signal,
    logger: pino({ level: 'warn' }),
    storage: s,
    attempt: 1,
    addFile: () => undefined,
  };
}

/**
 * One step, single pass: `read` with `destination_path` (parse → transform → stringify → upload, no NDJSON).
 * `inThread`: the file parsed in the calling thread (`csvWorker`/`xlsxWorker` `{enabled: false}`: the CSV as before
 * 2026-11-30 16:00, the XLSX as before 2026-11-30 21:00).
 */
/** BENCH_FILE_READER_YOUNG_MB: the parse thread's young generation (worker `resourceLimits.maxYoungGenerationSizeMb`), for A/B runs. */
function readerLimits(): { resourceLimits?: { maxYoungGenerationSizeMb: number } } {
  const mb = Number(process.env.BENCH_FILE_READER_YOUNG_MB ?? '');
  return mb > 0 ? { resourceLimits: { maxYoungGenerationSizeMb: mb } } : {};
}

async function childSinglePass(format: 'csv' | 'excel', key: string, inThread = false): Promise<Record<string, number>> {
  const timeline = new StepTimeline();
  // The parse thread as the executor starts it by default (csv.worker.js beside the module), watched by the timeline.
  const script = path.join(path.dirname(require.resolve('@vecron/executors')), 'file_processing', format === 'csv' ? 'csv.worker.js' : 'xlsx.worker.js');
  // With BENCH_FILE_PROFILE the thread writes its own CPU profile.
  const execArgv = process.env.BENCH_FILE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_FILE_PROFILE}`, `--cpu-prof-name=single-parse-thread.cpuprofile`] : [];
  const createWorker = (workerData: CsvWorkerData | XlsxWorkerData): Worker => timeline.startWorker(() => new Worker(script, { workerData, execArgv, ...readerLimits() }));
  const executor = new FileProcessingExecutor(inThread ? { csvWorker: { enabled: false }, xlsxWorker: { enabled: false } } : { csvWorker: { createWorker }, xlsxWorker: { createWorker } });
  const s = storage();
  timeline.instrument(s);
  const run = stepRun('convert', s);
  const started = Date.now();
  const out = (await executor.execute(
    validateStepConfig(executor, {
      operation: 'read',
      format,
      source_path: key,
      destination_path: format === 'csv' ? 'single.csv' : 'single.xlsx',
      options: { transformations: TRANSFORMATIONS, ...(format === 'csv' ? { output_delimiter: ';', line_ending: 'crlf' } : { column_formats: { amount: '#,##0.00' } }) },
    }),
    run,
  )) as FileReadToFileOutput;
  const ms = Date.now() - started;
  return { ms, rows_read: out.rows_read, rows: out.row_count, out_bytes: out.files[0]!.size, cpu_ms: cpuMs(), peak_rss_mb: peakRssMb(), ...timeline.finish(inThread ? 'single pass, calling thread' : 'single pass, parse thread') };
}

async function childPipeline(format: 'csv' | 'excel', key: string): Promise<Record<string, number>> {
  const executor = new FileProcessingExecutor();
  const s = storage();
  const ctx = (stepId: string): StepRunContext => stepRun(stepId, s);
  const started = Date.now();
  const read = (await executor.execute(
    validateStepConfig(executor, {
      operation: 'read',
      format,
      source_path: key,
      options: { transformations: TRANSFORMATIONS },
    }),
    ctx('read'),
  )) as FileReadOutput;
  const readMs = Date.now() - started;
  const readPeakRss = peakRssMb();
  const readPeaks = { ...memoryPeaks };
  const write = (await executor.execute(
    validateStepConfig(executor, {
      operation: 'write',
      format,
      destination_path: format === 'csv' ? 'out.csv' : 'out.xlsx',
      data_source: read,
      options: format === 'csv' ? { delimiter: ';', line_ending: 'crlf' } : { column_formats: { amount: '#,##0.00' } },
    }),
    ctx('write'),
  )) as FileWriteOutput;
  const ms = Date.now() - started;
  return { ms, read_ms: readMs, write_ms: ms - readMs, read_peak_rss_mb: readPeakRss, read_heap_total_mb: readPeaks.heap_total_mb, read_external_mb: readPeaks.external_mb, rows_read: read.rows_read, rows: write.row_count, out_bytes: write.files[0]!.size, cpu_ms: cpuMs(), peak_rss_mb: peakRssMb() };
}

/** One round of the repeated runs: the bare parser and the single pass(es), one after the other. */
interface Round {
  round: number;
  /** 1-minute load average before and after the round. */
  load: number;
  load_end: number;
  bare: Record<string, number>;
  single: Record<string, number>;
  inThread?: Record<string, number>;
  singleB?: Record<string, number>;
}

/**
 * The rounds side by side: wall seconds, the single pass against its round's bare parser, and the
 * same without the upload's completion (CompleteMultipartUpload: the local S3 server concatenates
 * the parts then, while the step waits), CPU seconds and peak RSS.
 */
function roundsTable(name: string, rounds: Round[]): string {
  const pct = (x: number): string => `${fmt(x * 100, 0)} %`;
  const rows = rounds.map((r) => {
    const cells: (string | number)[] = [
      r.round,
      `${fmt(r.load, 1)} → ${fmt(r.load_end, 1)}`,
      fmt(r.bare.ms! / 1000, 1),
      fmt(r.single.ms! / 1000, 1),
      pct(r.bare.ms! / r.single.ms!),
      fmt(r.single.complete_upload_ms! / 1000, 1),
      pct(r.bare.ms! / (r.single.ms! - r.single.complete_upload_ms!)),
      `${fmt(r.bare.cpu_ms! / 1000, 1)} / ${fmt(r.single.cpu_ms! / 1000, 1)}`,
      `${fmt(r.single.main_thread_cpu_ms! / 1000, 1)} / ${fmt(r.single.parse_thread_cpu_ms! / 1000, 1)} / ${fmt(r.single.other_threads_cpu_ms! / 1000, 1)}`,
      `${fmt(r.bare.s3_cpu_ms! / 1000, 1)} / ${fmt(r.single.s3_cpu_ms! / 1000, 1)}`,
      fmt(r.single.peak_rss_mb!, 0),
    ];
    if (r.inThread) cells.push(fmt(r.inThread.ms! / 1000, 1), pct(r.bare.ms! / r.inThread.ms!));
    if (r.singleB) cells.push(fmt(r.singleB.ms! / 1000, 1), pct(r.bare.ms! / r.singleB.ms!), `${fmt(r.singleB.main_thread_cpu_ms! / 1000, 1)} / ${fmt(r.singleB.parse_thread_cpu_ms! / 1000, 1)} / ${fmt(r.singleB.other_threads_cpu_ms! / 1000, 1)}`);
    return cells;
  });
  const head = ['round', 'load', 'bare s', 'step s', 'step vs bare', 'upload completion s', 'vs bare without it', 'CPU s bare / step', 'step CPU s main / parse / other threads', 'S3 server CPU s bare / step', 'step peak RSS MB'];
  if (rounds.some((r) => r.inThread)) head.push('calling thread s', 'vs bare');
  if (rounds.some((r) => r.singleB)) head.push('B s', 'B vs bare', 'B CPU s main / parse / other');
  const ratios = rounds.map((r) => r.bare.ms! / r.single.ms!).sort((a, b) => a - b);
  const at70 = ratios.filter((x) => x >= 0.7).length;
  return `${table(`${name}: ${rounds.length} rounds`, head, rows)}\nsingle pass vs bare: median ${pct(ratios[Math.floor((ratios.length - 1) / 2)]!)}, min ${pct(ratios[0]!)}, max ${pct(ratios[ratios.length - 1]!)}, ≥ 70 % in ${at70} of ${ratios.length}`;
}

function child(mode: string, ...args: string[]): Record<string, number> {
  // BENCH_FILE_PROFILE=DIR: each child writes a V8 CPU profile there (node --cpu-prof).
  const profile = process.env.BENCH_FILE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_FILE_PROFILE}`, `--cpu-prof-name=${mode}-${path.basename(args[args.length - 1] ?? '')}.cpuprofile`] : [];
  // BENCH_FILE_MAX_OLD_SPACE_MB: the V8 old-space cap of the step children, as WORKER_MAX_OLD_SPACE_MB sets it for the worker.
  const heap = process.env.BENCH_FILE_MAX_OLD_SPACE_MB && (mode === 'pipeline' || mode.startsWith('single')) ? [`--max-old-space-size=${process.env.BENCH_FILE_MAX_OLD_SPACE_MB}`] : [];
  // BENCH_FILE_STEP_FLAGS: more node flags for the step children (space-separated), e.g. V8's GC flags.
  // BENCH_FILE_STEP_FLAGS_B: a second single pass in each round with these flags instead (an A/B in the same round).
  const stepFlags = mode === 'single-b' ? process.env.BENCH_FILE_STEP_FLAGS_B : mode.startsWith('single') ? process.env.BENCH_FILE_STEP_FLAGS : undefined;
  const flags = stepFlags ? stepFlags.split(' ').filter((f) => f !== '') : [];
  const out = execFileSync(process.execPath, [...profile, ...heap, ...flags, __filename, mode, ...args], { env: process.env, maxBuffer: 16 * MB, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.toString().trim().split('\n').pop() as string) as Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// main

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode) {
    setInterval(sampleMemory, 200).unref();
    const result =
      mode === 'parse-csv' ? await childParseCsv(args[0]!) : mode === 'convert-csv' ? await childConvertCsv(args[0]!) : mode === 'parse-xlsx' ? await childParseXlsx(args[0]!) : mode === 'single' || mode === 'single-b' ? await childSinglePass(args[0] as 'csv' | 'excel', args[1]!) : mode === 'single-in-thread' ? await childSinglePass(args[0] as 'csv' | 'excel', args[1]!, true) : await childPipeline(args[0] as 'csv' | 'excel', args[1]!);
    sampleMemory();
    process.stdout.write(JSON.stringify({ ...result, ...memoryPeaks }) + '\n');
    return;
  }
  const sections = new Set((process.env.BENCH_FILE_SECTIONS ?? 'csv,xlsx').split(','));
  const csvMb = Number(process.env.BENCH_FILE_CSV_MB ?? 1024);
  const xlsxMb = Number(process.env.BENCH_FILE_XLSX_MB ?? 200);
  const keep = process.env.BENCH_FILE_KEEP === '1';
  const twoStep = process.env.BENCH_FILE_TWO_STEP !== '0';
  const repeat = Math.max(1, Number(process.env.BENCH_FILE_REPEAT ?? 1));
  const s = storage();
  await s.ensureBucket();
  const lines: string[] = [];
  const print = (t: string): void => {
    lines.push(t);
    process.stdout.write(t + '\n');
  };
  print(`file_processing bench ${new Date().toISOString()} — ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown> = {};
  try {
    for (const [name, enabled, mb] of [['csv', sections.has('csv'), csvMb], ['xlsx', sections.has('xlsx'), xlsxMb]] as const) {
      if (!enabled) continue;
      // One input per size asked: BENCH_FILE_KEEP=1 keeps each size's input and its row count.
      const key = `${DIR}/input/bench-${mb}mb.${name}`;
      const genStart = Date.now();
      // BENCH_FILE_KEEP=1: keep the inputs at the end, and reuse them (same size asked) on the next run.
      const genKey = `${key}.json`;
      const kept = keep && (await s.exists(genKey)) ? (JSON.parse((await s.get(genKey)).toString()) as { rows: number; bytes: number }) : undefined;
      const gen = kept ?? (name === 'csv' ? await generateCsv(key, mb * MB) : await generateXlsx(key, mb * MB));
      if (keep && !kept) await s.put(genKey, JSON.stringify(gen));
      print(`${name}: generated ${fmt(gen.bytes / MB, 1)} MB, ${fmt(gen.rows)} rows in ${fmt((Date.now() - genStart) / 1000, 1)} s`);
      // BENCH_FILE_REPEAT=N: N rounds of bare parser → single pass (→ calling thread), each ratio against its own
      // round's bare parser; the table below shows the round with the median single-pass ratio.
      const rounds: Round[] = [];
      for (let round = 1; round <= repeat; round++) {
        const load = os.loadavg()[0]!;
        const bare = child(name === 'csv' ? 'parse-csv' : 'parse-xlsx', key);
        print(`${name}: bare parser ${JSON.stringify(bare)}`);
        const single = child('single', name === 'csv' ? 'csv' : 'excel', key);
        print(`${name}: single pass ${JSON.stringify(single)}`);
        // BENCH_FILE_IN_THREAD=0 skips the single pass with the file parsed in the calling thread (the step before the parse threads).
        const inThread = process.env.BENCH_FILE_IN_THREAD !== '0' ? child('single-in-thread', name === 'csv' ? 'csv' : 'excel', key) : undefined;
        if (inThread) print(`${name}: single pass, parsed in the calling thread ${JSON.stringify(inThread)}`);
        const singleB = process.env.BENCH_FILE_STEP_FLAGS_B !== undefined ? child('single-b', name === 'csv' ? 'csv' : 'excel', key) : undefined;
        if (singleB) print(`${name}: single pass with BENCH_FILE_STEP_FLAGS_B ${JSON.stringify(singleB)}`);
        rounds.push({ round, load, load_end: os.loadavg()[0]!, bare, single, ...(inThread ? { inThread } : {}), ...(singleB ? { singleB } : {}) });
      }
      if (repeat > 1) print(roundsTable(name, rounds));
      const median = [...rounds].sort((a, b) => a.bare.ms! / a.single.ms! - b.bare.ms! / b.single.ms!)[Math.floor((rounds.length - 1) / 2)]!;
      const { bare, single, inThread } = median;
      // BENCH_FILE_TWO_STEP=0 skips the two-step job (read to NDJSON, then write): the slowest run.
      const pipe = twoStep ? child('pipeline', name === 'csv' ? 'csv' : 'excel', key) : undefined;
      if (pipe) print(`${name}: pipeline ${JSON.stringify(pipe)}`);
      // BENCH_FILE_CONVERT=0 skips the bare parse + stringify + upload.
      const convert = name === 'csv' && process.env.BENCH_FILE_CONVERT !== '0' ? child('convert-csv', key) : undefined;
      if (convert) print(`${name}: bare parse + stringify + upload ${JSON.stringify(convert)}`);
      const sizeMb = gen.bytes / MB;
      const bareRate = sizeMb / (bare.ms! / 1000);
      const singleRate = sizeMb / (single.ms! / 1000);
      const pct = (x: number): string => `${fmt(x * 100, 0)} %`;
      rows.push([`${name} ${fmt(sizeMb, 0)} MB, ${fmt(gen.rows)} rows`, 'bare parser', fmt(bareRate, 1), '-', '-', fmt(bare.peak_rss_mb!, 0), fmt(bare.cpu_ms! / 1000, 1), '-', '-']);
      const convertRate = convert ? sizeMb / (convert.ms! / 1000) : undefined;
      if (convert) {
        rows.push(['', 'bare parse + stringify + upload (all rows)', fmt(convertRate!, 1), pct(convertRate! / bareRate), '-', fmt(convert.peak_rss_mb!, 0), fmt(convert.cpu_ms! / 1000, 1), pct(bare.cpu_ms! / convert.cpu_ms!), '-']);
      }
      // A single-pass row: its speed and CPU against the bare parser and the bare converter.
      const singleRow = (label: string, r: NonNullable<typeof inThread>): (string | number)[] => {
        const rate = sizeMb / (r.ms! / 1000);
        return [
          '',
          label,
          fmt(rate, 1),
          pct(rate / bareRate),
          convert ? pct(rate / convertRate!) : '-',
          fmt(r.peak_rss_mb!, 0),
          fmt(r.cpu_ms! / 1000, 1),
          pct(bare.cpu_ms! / r.cpu_ms!),
          convert ? pct(convert.cpu_ms! / r.cpu_ms!) : '-',
        ];
      };
      rows.push(singleRow(`read → transform → write (1 step, single pass, ${name} out, ${fmt(single.rows!)} rows)`, single));
      if (inThread) rows.push(singleRow(name === 'csv' ? 'same, CSV parsed in the calling thread (csvWorker disabled)' : 'same, XLSX read in the calling thread (xlsxWorker disabled)', inThread));
      const pipeRate = pipe ? sizeMb / (pipe.ms! / 1000) : undefined;
      const readRate = pipe ? sizeMb / (pipe.read_ms! / 1000) : undefined;
      if (pipe) {
        rows.push(['', 'read step (parse + transform + NDJSON spill)', fmt(readRate!, 1), pct(readRate! / bareRate), '-', fmt(pipe.read_peak_rss_mb!, 0), '-', '-', '-']);
        rows.push([
          '',
          `read → transform → write (2 steps, ${name} out, ${fmt(pipe.rows!)} rows)`,
          fmt(pipeRate!, 1),
          pct(pipeRate! / bareRate),
          convert ? pct(pipeRate! / convertRate!) : '-',
          fmt(pipe.peak_rss_mb!, 0),
          fmt(pipe.cpu_ms! / 1000, 1),
          pct(bare.cpu_ms! / pipe.cpu_ms!),
          convert ? pct(convert.cpu_ms! / pipe.cpu_ms!) : '-',
        ]);
      }
      results[name] = { generated: gen, rounds, bare, convert, single, single_in_thread: inThread, pipeline: pipe, bare_mb_s: bareRate, convert_mb_s: convertRate, single_mb_s: singleRate, read_mb_s: readRate, pipeline_mb_s: pipeRate, load_end: os.loadavg() };
    }
    print(table('file_processing: input MB/s and peak RSS (each in its own process)', ['file', 'run', 'MB/s of input', 'vs bare parser', 'vs bare parse+stringify+upload', 'peak RSS MB', 'CPU s', 'bare parser CPU / its CPU', 'bare convert CPU / its CPU'], rows));
    print(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    // Remove every object of this bench (inputs, NDJSON spills, outputs).
    if (!keep) await s.deletePrefix(`jobs/${JOB}/`).catch(() => undefined);
  }
  const dir = path.join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'file-processing.txt'), lines.join('\n') + '\n');
  writeFileSync(path.join(dir, 'file-processing.json'), JSON.stringify(results, null, 2));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

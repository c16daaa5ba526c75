/**
 * Where a file-bench child's wall time goes (file-processing.ts): per-thread CPU of this process
 * (/proc/self/task), the event-loop utilisation of the main thread and of the CSV parse thread,
 * the local S3 server's CPU (/proc/PID/stat of s3rver), bytes downloaded and uploaded, and how
 * long the multipart upload's completion takes. The summary goes into the child's result; with
 * BENCH_FILE_TIMELINE=1 a per-second table goes to stderr too.
 */
import { readdirSync } from 'fs';
import { performance, type EventLoopUtilization } from 'perf_hooks';
import type { Readable } from 'stream';
import type { Worker } from 'worker_threads';
import type { MinioObjectStorage } from '@vecron/storage';
import { servicePids, statFileCpuMs } from './common';

const MB = 1024 * 1024;

/** CPU ms of this process (all threads), from the same clock as threadCpu. */
function processCpuMs(): number {
  return statFileCpuMs('/proc/self/stat') ?? 0;
}

/** CPU ms of each thread of this process, by thread id. */
function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const ms = statFileCpuMs(`/proc/self/task/${tid}/stat`);
    if (ms !== undefined) out.set(Number(tid), ms);
  }
  return out;
}

/** The pid of the local S3 server (scripts/services.sh's PID file), or BENCH_FILE_S3_PID. */
function s3Pid(): number | undefined {
  return Number(process.env.BENCH_FILE_S3_PID) || servicePids().s3 || undefined;
}

interface Sample {
  t: number;
  main_elu: number;
  parse_elu?: number;
  main_cpu: number;
  parse_cpu: number;
  other_cpu: number;
  s3_cpu: number;
  down_mb: number;
  up_mb: number;
}

/** The minio client inside a MinioObjectStorage (private: the bench reaches in to time its requests). */
interface ClientHooks {
  getObject(...args: unknown[]): Promise<Readable>;
  uploadPart(...args: unknown[]): Promise<unknown>;
  completeMultipartUpload(...args: unknown[]): Promise<unknown>;
}

export class StepTimeline {
  private readonly pid = s3Pid();
  private readonly started = performance.now();
  private readonly startCpu = threadCpu();
  private readonly s3Start: number | undefined;
  private worker: Worker | undefined;
  private workerTids = new Set<number>();
  private lastMain: EventLoopUtilization = performance.eventLoopUtilization();
  private lastWorker: EventLoopUtilization | undefined;
  private lastCpu = this.startCpu;
  /** Process CPU (all threads, ms) at the last sample: the parse thread's share is what the other threads do not account for (its /proc entry goes when it ends). */
  private lastProcessCpu = processCpuMs();
  private readonly startProcessCpu = this.lastProcessCpu;
  private totalMainCpu = 0;
  private totalOtherCpu = 0;
  private lastS3: number | undefined;
  private downBytes = 0;
  private upBytes = 0;
  private lastDown = 0;
  private lastUp = 0;
  private completeMs = 0;
  private completeAt = 0;
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.s3Start = this.pid !== undefined ? statFileCpuMs(`/proc/${this.pid}/stat`) : undefined;
    this.lastS3 = this.s3Start;
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  /** Starts the CSV parse thread: its event loop is sampled, and its OS thread is the one that appears with it. */
  startWorker(start: () => Worker): Worker {
    const before = new Set(threadCpu().keys());
    const worker = start();
    this.worker = worker;
    worker.once('online', () => {
      for (const tid of threadCpu().keys()) if (!before.has(tid)) this.workerTids.add(tid);
      this.lastWorker = worker.performance.eventLoopUtilization();
    });
    return worker;
  }

  /** Counts the bytes of this storage's downloads and uploaded parts, and times CompleteMultipartUpload. */
  instrument(storage: MinioObjectStorage): void {
    const client = (storage as unknown as { client: ClientHooks }).client;
    const getObject = client.getObject.bind(client);
    const uploadPart = client.uploadPart.bind(client);
    const complete = client.completeMultipartUpload.bind(client);
    client.getObject = async (...args) => {
      const stream = await getObject(...args);
      stream.on('data', (chunk: Buffer) => (this.downBytes += chunk.length));
      return stream;
    };
    client.uploadPart = async (...args) => {
      const result = await uploadPart(...args);
      this.upBytes += (args[1] as Buffer).length;
      return result;
    };
    client.completeMultipartUpload = async (...args) => {
      const t0 = performance.now();
      try {
        return await complete(...args);
      } finally {
        this.completeMs += performance.now() - t0;
        this.completeAt = performance.now() - this.started;
      }
    };
  }

  private sample(): void {
    const main = performance.eventLoopUtilization();
    const mainElu = performance.eventLoopUtilization(main, this.lastMain).utilization;
    this.lastMain = main;
    let parseElu: number | undefined;
    if (this.worker !== undefined && this.lastWorker !== undefined) {
      try {
        const w = this.worker.performance.eventLoopUtilization();
        parseElu = this.worker.performance.eventLoopUtilization(w, this.lastWorker).utilization;
        this.lastWorker = w;
      } catch {
        parseElu = undefined;
      }
    }
    const cpu = threadCpu();
    const processCpu = processCpuMs();
    let mainCpu = 0;
    let otherCpu = 0;
    for (const [tid, ms] of cpu) {
      const d = ms - (this.lastCpu.get(tid) ?? 0);
      if (tid === process.pid) mainCpu += d;
      else if (!this.workerTids.has(tid)) otherCpu += d;
    }
    const parseCpu = this.worker === undefined ? 0 : Math.max(0, processCpu - this.lastProcessCpu - mainCpu - otherCpu);
    this.lastCpu = cpu;
    this.lastProcessCpu = processCpu;
    this.totalMainCpu += mainCpu;
    this.totalOtherCpu += otherCpu;
    const s3 = this.pid !== undefined ? statFileCpuMs(`/proc/${this.pid}/stat`) : undefined;
    const s3Cpu = s3 !== undefined && this.lastS3 !== undefined ? s3 - this.lastS3 : 0;
    this.lastS3 = s3;
    this.samples.push({
      t: Math.round((performance.now() - this.started) / 100) / 10,
      main_elu: mainElu,
      ...(parseElu !== undefined ? { parse_elu: parseElu } : {}),
      main_cpu: mainCpu,
      parse_cpu: parseCpu,
      other_cpu: otherCpu,
      s3_cpu: s3Cpu,
      down_mb: (this.downBytes - this.lastDown) / MB,
      up_mb: (this.upBytes - this.lastUp) / MB,
    });
    this.lastDown = this.downBytes;
    this.lastUp = this.upBytes;
  }

  /** Totals for the child's result (CPU in ms); the per-second table to stderr with BENCH_FILE_TIMELINE=1. */
  finish(label: string): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    const mainCpu = this.totalMainCpu;
    const otherCpu = this.totalOtherCpu;
    const parseCpu = this.worker === undefined ? 0 : Math.max(0, this.lastProcessCpu - this.startProcessCpu - mainCpu - otherCpu);
    const s3End = this.pid !== undefined ? statFileCpuMs(`/proc/${this.pid}/stat`) : undefined;
    const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
    const summary: Record<string, number> = {
      main_thread_cpu_ms: mainCpu,
      parse_thread_cpu_ms: parseCpu,
      other_threads_cpu_ms: otherCpu,
      s3_cpu_ms: s3End !== undefined && this.s3Start !== undefined ? s3End - this.s3Start : NaN,
      complete_upload_ms: Math.round(this.completeMs),
      complete_upload_end_s: Math.round(this.completeAt / 100) / 10,
      main_elu_mean: Math.round(mean(this.samples.map((s) => s.main_elu)) * 100) / 100,
      parse_elu_mean: Math.round(mean(this.samples.filter((s) => s.parse_elu !== undefined).map((s) => s.parse_elu as number)) * 100) / 100,
      down_mb: Math.round(this.downBytes / MB),
      up_mb: Math.round(this.upBytes / MB),
    };
    if (process.env.BENCH_FILE_TIMELINE === '1') {
      const pct = (x: number | undefined): string => (x === undefined ? '  -' : String(Math.round(x * 100)).padStart(3));
      const ms = (x: number): string => String(Math.round(x)).padStart(5);
      const lines = [`timeline ${label}: t s | ELU main parse % | CPU ms main parse other s3 | MB down up`];
      for (const s of this.samples) {
        lines.push(`${s.t.toFixed(1).padStart(6)} | ${pct(s.main_elu)} ${pct(s.parse_elu)} | ${ms(s.main_cpu)} ${ms(s.parse_cpu)} ${ms(s.other_cpu)} ${ms(s.s3_cpu)} | ${s.down_mb.toFixed(1).padStart(5)} ${s.up_mb.toFixed(1).padStart(5)}`);
      }
      process.stderr.write(lines.join('\n') + '\n' + JSON.stringify(summary) + '\n');
    }
    return summary;
  }
}

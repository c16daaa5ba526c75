import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A started tracing SDK: flush and stop it when the process ends. */
export interface TracingHandle {
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** `service.name` of the spans (`vecron-api`, `vecron-worker`…); OTEL_SERVICE_NAME wins when set. */
  serviceName: string;
  /** The process environment (only the entry points read process.env). */
  env: Record<string, string | undefined>;
  /** Span processors to use instead of the exporter configured by OTEL_* (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

const isTrue = (v: string | undefined): boolean => ['1', 'true', 'yes', 'on'].includes((v ?? '').trim().toLowerCase());

/**
 * Tracing is on when an exporter is configured through the standard variables:
 * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (OTLP), or OTEL_TRACES_EXPORTER
 * naming one (`otlp`, `console`, `zipkin`); off when unset, when OTEL_TRACES_EXPORTER is `none` or
 * OTEL_SDK_DISABLED is true.
 */
export function tracingEnabled(env: Record<string, string | undefined>): boolean {
  if (isTrue(env.OTEL_SDK_DISABLED)) return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (exporters.includes('none')) return false;
  return exporters.length > 0 || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry SDK for traces when `tracingEnabled` (or when span processors are
 * given): W3C trace-context propagation, an AsyncLocalStorage context manager, and the exporter
 * the OTEL_* variables configure (protocol OTEL_EXPORTER_OTLP_PROTOCOL, default http/protobuf;
 * batching OTEL_BSP_*). Metrics stay with Prometheus (`/metrics`) and logs with pino: the SDK's
 * metric and log exporters are not started. Returns null when tracing is off (every span is then a
 * no-op and costs nothing).
 */
export function startTracing(options: StartTracingOptions): TracingHandle | null {
  if (!options.spanProcessors && !tracingEnabled(options.env)) return null;
  const sdk = new NodeSDK({
    serviceName: options.env.OTEL_SERVICE_NAME || options.serviceName,
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** Something closable (a Nest application): closed first, then the tracing SDK flushes its last spans. */
export interface ClosableApp {
  close(): Promise<void>;
}

/** `app` whose close also shuts the tracing SDK down (nothing more when tracing is off). */
export async function closingTracing<T extends ClosableApp>(app: Promise<T>, tracing: TracingHandle | null): Promise<ClosableApp> {
  let started: ClosableApp;
  try {
    started = await app;
  } catch {
    // The start-up failure is reported by the entry point; nothing to close but the SDK.
    started = { close: async () => undefined };
  }
  if (!tracing) return started;
  return {
    close: async () => {
      try {
        await started.close();
      } finally {
        await tracing.shutdown().catch(() => undefined);
      }
    },
  };
}

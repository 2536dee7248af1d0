/**
 * The server's Prometheus metrics (prom-client), served at `GET /metrics` in the text exposition format. Each
 * server has its own registry, so two servers in one process (tests, an embedding application) never share
 * counts. Routes are labelled by their pattern (`/api/translate`), never by the raw URL, so a client probing
 * random paths cannot grow the label set: anything unmatched is `unmatched`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the gauges read at scrape time. */
export interface MetricsSource {
  /** Requests running on the model and waiting for it. */
  running: number;
  queued: number;
  /** Workers started again after a crash. */
  restarts: number;
  /** Bytes of answers written but not yet taken by their clients. */
  pendingAnswerBytes: number;
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly latency: Histogram<'route'>;
  private readonly batchSizes: Histogram;
  private readonly tokens: Counter;

  constructor(source: () => MetricsSource) {
    const registers = [this.registry];
    // Process metrics (CPU, resident memory, heap, event-loop lag, GC) under the same prefix.
    collectDefaultMetrics({ register: this.registry, prefix: 'attn_' });
    this.requests = new Counter({
      name: 'attn_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'attn_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being written, by route pattern',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.batchSizes = new Histogram({
      name: 'attn_batch_size',
      help: 'Requests the model ran together in one pass',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    });
    this.tokens = new Counter({
      name: 'attn_tokens_generated_total',
      help: 'Target tokens in the translations answered (every returned hypothesis)',
      registers,
    });
    const gauge = (name: string, help: string, read: (s: MetricsSource) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(source()));
        },
      });
    };
    gauge('attn_queue_depth', 'Requests waiting for the model', (s) => s.queued);
    gauge('attn_requests_running', 'Requests the model is running now', (s) => s.running);
    gauge('attn_worker_restarts', 'Model workers started again after a crash', (s) => s.restarts);
    gauge(
      'attn_pending_answer_bytes',
      'Bytes of answers not yet taken by slow clients',
      (s) => s.pendingAnswerBytes,
    );
  }

  /** One answered request; `route` is the matched pattern or undefined when no route matched. */
  answered(route: string | undefined, method: string, status: number, seconds: number): void {
    const label = route ?? 'unmatched';
    this.requests.inc({ route: label, method, status: String(status) });
    this.latency.observe({ route: label }, seconds);
  }

  /** One pass of the model over `size` requests. */
  batch(size: number): void {
    this.batchSizes.observe(size);
  }

  generated(tokens: number): void {
    this.tokens.inc(tokens);
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

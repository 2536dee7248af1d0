/** `attn serve`: the JSON API and the web page over one checkpoint, until Ctrl-C or SIGTERM. */
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS, LIMIT_BOUNDS, type ServeLimits } from '../serve/limits.js';
import { availableParallelism } from 'node:os';
import { checkCorsOrigins, createServer, DEFAULT_BATCHING, type AttnServer } from '../serve/server.js';
import { closeOnSignal } from '../serve/shutdown.js';
import { writeStaticPage, type StaticPage } from '../serve/static-page.js';
import { parsingUsage, UsageError } from './usage.js';

/** One model worker per four cores: each batch then has several kernel threads, and the workers overlap. */
function defaultWorkers(): number {
  return Math.max(1, Math.floor(availableParallelism() / 4));
}

const HELP = `Usage: attn serve --checkpoint DIR [--port N] [--host H] [options]
       attn serve --static OUT [--checkpoint DIR]

Serves the model in DIR (a directory written by attn train or attn demo) over HTTP:
  /                     a web page: type a sentence, see the translation or label and the attention
  POST /api/translate   {"text": "...", "beamSize"?: 1, "maxLength"?: N, "nBest"?: 1, "attention"?: "all"}
                        → tokens, scores, attention ("all" hypotheses, the "best" one's, or "none");
                        or "sample": true with "temperature"?: 1, "topK"?: 0, "topP"?: 1, "seed"?: S
                        instead of a beam (one drawn translation; the same seed, the same draw)
  POST /api/classify    {"text": "..."} → label, probabilities, pooling weight per token
  GET  /api/info        the model: task, architecture, parameters, attention layers and heads
  GET  /api/limits      the request limits below
  GET  /healthz         200 while the process is up (a liveness probe)
  GET  /readyz          200 when the model is loaded and the queue has room, else 503 with the reason
  GET  /metrics         Prometheus metrics: requests by route and status, latency, queue depth, batch sizes,
                        tokens generated, process memory and CPU
Every answer carries X-Request-Id (the client's own, when it sends a plain one), which --log records.

The model runs on worker threads (--workers), each taking the requests waiting for it in batches (--max-batch,
--batch-wait-ms): a batch decodes together, and each answer is the one its request gets alone. More requests
than the queue holds are answered 503. Ctrl-C or SIGTERM stops accepting, finishes the requests under way and
exits 0; a second one exits at once.

With --static OUT it starts no server: it writes the web page into OUT as static files that work from any static
host, the model running in the visitor's tab on attn's WebAssembly backend (OUT/model/ holds the checkpoint's
model files, or, without --checkpoint, the page offers to load a checkpoint folder or train the date model in
the tab). Threads there need the host to send Cross-Origin-Opener-Policy: same-origin and
Cross-Origin-Embedder-Policy: require-corp.

Options:
  --checkpoint DIR      the checkpoint directory (required, except with --static)
  --static OUT          write the static page into OUT instead of serving (OUT empty or an earlier static page)
  --port N              TCP port (default 8080; 0 picks a free one)
  --host H              address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 to accept others)
  --workers N           model worker threads, each with its own copy of the model (default ${defaultWorkers()}
                        here: one per four cores); the kernels' threads are set so that all of them together
                        use the cores once (ATTN_THREADS overrides)
  --max-batch N         most requests a worker decodes together (default ${DEFAULT_BATCHING.maxBatch}; 1: one at a time)
  --batch-wait-ms MS    how long the oldest waiting request may wait for others to batch with (default ${DEFAULT_BATCHING.waitMs})
  --max-chars N         most characters in a text (default ${DEFAULT_LIMITS.maxChars})
  --max-words N         most words in a text (default ${DEFAULT_LIMITS.maxWords})
  --max-beam-size N     largest beamSize a request may ask for (default ${DEFAULT_LIMITS.maxBeamSize})
  --max-length N        largest maxLength a request may ask for (default ${DEFAULT_LIMITS.maxLength})
  --max-queue N         requests that may wait for the model (default ${DEFAULT_LIMITS.maxQueue})
  --max-response-bytes N  largest answer; a larger one is sent with less attention (default ${DEFAULT_LIMITS.maxResponseBytes})
  --max-pending-bytes N   answers that may wait for slow readers before new requests get 503
                          (default ${DEFAULT_LIMITS.maxPendingBytes})
  --max-connections N   open connections at once (default ${DEFAULT_LIMITS.maxConnections})
  --socket-timeout S    seconds an idle connection (one not reading its answer) stays open
                        (default ${DEFAULT_LIMITS.socketTimeoutSeconds})
  --allowed-hosts A,B   host names requests may use besides loopback names and IP addresses (* for any);
                        others are refused 403 (DNS rebinding)
  --cors A,B            origins (https://example.org, or *) whose web pages may call the API; CORS is off
                        unless given
  --rate-limit N        at most N API requests per client address per window (429 beyond); off unless given
  --rate-limit-window S the rate limit's window in seconds (default 60; needs --rate-limit)
  --log                 log every request as a JSON line on stdout (with its request id)
  -h, --help            show this help
`;

const LIMIT_OPTIONS = {
  'max-chars': 'maxChars',
  'max-words': 'maxWords',
  'max-beam-size': 'maxBeamSize',
  'max-length': 'maxLength',
  'max-queue': 'maxQueue',
  'max-response-bytes': 'maxResponseBytes',
  'max-pending-bytes': 'maxPendingBytes',
  'max-connections': 'maxConnections',
  'socket-timeout': 'socketTimeoutSeconds',
} as const satisfies Record<string, keyof ServeLimits>;

function integer(name: string, text: string | undefined, low: number, high: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < low || value > high)
    throw new UsageError(`--${name} must be an integer from ${low} to ${high}, got '${text}'`);
  return value;
}

/** `--allowed-hosts a,b`: host names, each a plain DNS name (or `*`). */
function allowedHosts(text: string | undefined): string[] {
  if (text === undefined) return [];
  const names = text.split(',').map((n) => n.trim());
  for (const name of names) {
    if (name !== '*' && !/^[A-Za-z0-9.-]+$/.test(name))
      throw new UsageError(`--allowed-hosts: ${JSON.stringify(name)} is not a host name`);
  }
  return names;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** `--static OUT`: the page as files; every option of a running server is refused, not ignored. */
async function writeStatic(out: string, values: Record<string, unknown>): Promise<number> {
  if (out === '') throw new UsageError('--static needs a directory');
  const serverOnly = Object.keys(values).filter((name) => !['static', 'checkpoint'].includes(name));
  if (serverOnly.length > 0)
    throw new UsageError(
      `--static writes files and starts no server: ${serverOnly.map((n) => `--${n}`).join(', ')} do not apply`,
    );
  const checkpoint = values.checkpoint as string | undefined;
  let page: StaticPage;
  try {
    page = await writeStaticPage(out, checkpoint);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot write the static page: ${message}`, { cause: error });
  }
  const model = page.model
    ? `${page.model.task} model (${page.model.architecture}, ${page.model.parameters} parameters) from ${checkpoint}`
    : 'no model (the page offers to load a checkpoint folder or train the date model in the tab)';
  process.stderr.write(`attn serve: wrote ${page.files.length} files into ${out}: the page with ${model}\n`);
  process.stderr.write(
    `attn serve: serve ${out} from any static host (e.g. python3 -m http.server -d ${out}); for threads send ` +
      'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\n',
  );
  return 0;
}

export async function runServe(args: readonly string[]): Promise<number> {
  const { values } = parsingUsage(() =>
    parseArgs({
      args: [...args],
      options: {
        checkpoint: { type: 'string' },
        static: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'max-chars': { type: 'string' },
        'max-words': { type: 'string' },
        'max-beam-size': { type: 'string' },
        'max-length': { type: 'string' },
        'max-queue': { type: 'string' },
        'max-response-bytes': { type: 'string' },
        'max-pending-bytes': { type: 'string' },
        'max-connections': { type: 'string' },
        'socket-timeout': { type: 'string' },
        'allowed-hosts': { type: 'string' },
        cors: { type: 'string' },
        workers: { type: 'string' },
        'max-batch': { type: 'string' },
        'batch-wait-ms': { type: 'string' },
        'rate-limit': { type: 'string' },
        'rate-limit-window': { type: 'string' },
        log: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }),
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.static !== undefined) return writeStatic(values.static, values);
  if (!values.checkpoint) throw new UsageError("serve needs --checkpoint DIR. Run 'attn serve --help'.");
  const port = integer('port', values.port, 0, 65535) ?? 8080;
  const host = values.host ?? '127.0.0.1';
  const limits: Partial<ServeLimits> = {};
  for (const [option, key] of Object.entries(LIMIT_OPTIONS)) {
    const [low, high] = LIMIT_BOUNDS[key];
    const value = integer(option, values[option as keyof typeof LIMIT_OPTIONS], low, high);
    if (value !== undefined) limits[key] = value;
  }

  const hosts = allowedHosts(values['allowed-hosts']);
  const workers = integer('workers', values.workers, 1, 256) ?? defaultWorkers();
  const maxBatch = integer('max-batch', values['max-batch'], 1, 1024) ?? DEFAULT_BATCHING.maxBatch;
  const waitMs = integer('batch-wait-ms', values['batch-wait-ms'], 0, 10_000) ?? DEFAULT_BATCHING.waitMs;
  // One kernel pool serves the process: the worker using it runs T threads, the others run on their own
  // thread meanwhile, so T + workers - 1 threads fill the cores without oversubscribing them.
  const cores = availableParallelism();
  if (!process.env.ATTN_THREADS) process.env.ATTN_THREADS = String(Math.max(1, cores - workers + 1));
  const corsOrigins = values.cors === undefined ? [] : values.cors.split(',').map((o) => o.trim());
  try {
    checkCorsOrigins(corsOrigins);
  } catch (error) {
    throw new UsageError(`--cors: ${(error as Error).message.replace(/^createServer: corsOrigins: /, '')}`);
  }
  const rateMax = integer('rate-limit', values['rate-limit'], 1, 1_000_000);
  const rateWindow = integer('rate-limit-window', values['rate-limit-window'], 1, 86_400);
  if (rateWindow !== undefined && rateMax === undefined)
    throw new UsageError('--rate-limit-window needs --rate-limit N');
  let server: AttnServer;
  try {
    server = await createServer({
      checkpoint: values.checkpoint,
      limits,
      log: values.log ?? false,
      allowedHosts: hosts,
      corsOrigins,
      workers,
      batching: { maxBatch, waitMs },
      ...(rateMax === undefined ? {} : { rateLimit: { max: rateMax, windowSeconds: rateWindow ?? 60 } }),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot serve ${values.checkpoint}: ${message}`, { cause: error });
  }
  let url: string;
  try {
    url = await server.listen(port, host);
  } catch (error) {
    await server.close();
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new Error(`port ${port} on ${host} is in use; choose another with --port`, { cause: error });
    throw error;
  }
  const { info } = server;
  const log = (line: string): void => void process.stderr.write(`attn serve: ${line}\n`);
  log(`${info.task} model (${info.architecture}) from ${values.checkpoint}`);
  log(
    `${workers} model worker${workers === 1 ? '' : 's'}, ${process.env.ATTN_THREADS} kernel threads; ` +
      (maxBatch > 1
        ? `batches of up to ${maxBatch} requests, waiting up to ${waitMs} ms`
        : 'one request at a time'),
  );
  log(
    isLoopback(host)
      ? `bound to ${host}: only this machine can connect (--host 0.0.0.0 accepts other machines)`
      : `bound to ${host}: other machines can connect`,
  );
  process.stdout.write(`attn serve: listening on ${url}/ (Ctrl-C stops)\n`);
  await closeOnSignal(() => server.close(), { log });
  log('stopped');
  return 0;
}

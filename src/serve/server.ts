/**
 * `createServer`: the HTTP server of `attn serve` (fastify). A JSON API over one model — `POST /api/translate`,
 * `POST /api/classify`, `GET /api/info`, `GET /api/limits` — the web page at `/`, and for operators
 * `GET /healthz`, `GET /readyz` and `GET /metrics` (operator-routes.ts). Requests are checked
 * (JSON only, body size, text length, beam-size and length bounds, no unknown fields) before anything reaches
 * the model, which runs on a worker thread (see predictor-host.ts). `close()` stops accepting connections,
 * lets the requests under way finish, then stops the worker.
 */
import { STATUS_CODES } from 'node:http';
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type {
  ClassificationResult,
  PredictorInfo,
  TranslateOptions,
  TranslationResult,
} from '../inference/types.js';
import { boundedTranslationJson, PendingAnswers } from './answer-budget.js';
import { hostAllowList } from './host-check.js';
import { HttpError } from './http-error.js';
import { countWords, resolveLimits, type ServeLimits } from './limits.js';
import { requirePositiveIntegers } from '../tensor/errors.js';
import { ServerMetrics } from './metrics.js';
import { addOperatorRoutes, PROBE_PATHS } from './operator-routes.js';
import { checkPageDirectory } from './page-files.js';
import { PredictorHost, type HostStats } from './predictor-host.js';
import { requestId } from './request-id.js';
import {
  classifyBodySchema,
  describeSchemaError,
  SAMPLING_FIELDS,
  translateBodySchema,
  type ClassifyBody,
  type SchemaError,
  type TranslateBody,
} from './schemas.js';

export interface ServeOptions {
  /** The checkpoint directory to load (what `attn train` writes). */
  checkpoint: string;
  /** Overrides of the request limits (see limits.ts for the defaults). */
  limits?: Partial<ServeLimits>;
  /** Serve the web page at `/` (default true); it must have been built (`npm run build`). */
  page?: boolean;
  /** Log each request as a JSON line on stdout (fastify's logger; default false). */
  log?: boolean;
  /**
   * Host names requests may name besides loopback names and IP addresses (`*`: any). Other Host headers are
   * answered 403, so that a web page elsewhere cannot reach the server through DNS rebinding.
   */
  allowedHosts?: readonly string[];
  /**
   * Origins (`scheme://host[:port]`, or `*`) whose web pages may call the API from a browser. None by default:
   * CORS is off and browsers keep other sites' pages from reading the answers.
   */
  corsOrigins?: readonly string[];
  /** At most `max` API requests per `windowSeconds` from one client address (429 beyond); off by default. */
  rateLimit?: RateLimit;
  /** Model worker threads, each with its own copy of the model, sharing one queue (default 1). */
  workers?: number;
  /**
   * Dynamic batching: a free worker takes up to `maxBatch` waiting requests at once (default 32; 1 turns
   * batching off), waiting up to `waitMs` after the oldest arrived for more (default 2). Each answer is the one
   * its request gets alone: the workers then run batch-invariant kernels.
   */
  batching?: Batching;
}

export interface Batching {
  maxBatch: number;
  waitMs: number;
}

export const DEFAULT_BATCHING: Readonly<Batching> = Object.freeze({ maxBatch: 32, waitMs: 2 });

export interface RateLimit {
  max: number;
  windowSeconds: number;
}

export interface AttnServer {
  readonly app: FastifyInstance;
  readonly info: PredictorInfo;
  readonly limits: ServeLimits;
  readonly batching: Batching;
  /** Jobs running and waiting on the model, and bytes of answers not yet sent. */
  stats(): HostStats & { pendingAnswerBytes: number };
  /** Starts listening; resolves with the URL (port 0 picks a free port). */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, finishes the requests under way, stops the model's worker. */
  close(): Promise<void>;
}

/**
 * The page may load only its own files and talk only to this server: no CDN, no other origin. A model in the
 * tab compiles the page's own WebAssembly module ('wasm-unsafe-eval', not 'unsafe-eval': the backend's
 * forwarders are closures there) and runs its threads as Web Workers from Blob URLs.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src blob:; style-src 'self'; " +
  "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Loads the model on its worker thread and builds the server (not yet listening). */
export async function createServer(options: ServeOptions): Promise<AttnServer> {
  const limits = resolveLimits(options.limits);
  const corsOrigins = checkCorsOrigins(options.corsOrigins ?? []);
  if (options.rateLimit) {
    const { max, windowSeconds } = options.rateLimit;
    requirePositiveIntegers('createServer', {
      'rateLimit.max': max,
      'rateLimit.windowSeconds': windowSeconds,
    });
  }
  const pageDirectory = options.page === false ? undefined : checkPageDirectory();
  // The gauges read the host and the answer budget, created below, only when scraped.
  const metrics = new ServerMetrics(() => ({ ...host.stats(), pendingAnswerBytes: pending.bytes }));
  const batching = { ...DEFAULT_BATCHING, ...options.batching };
  const host = await PredictorHost.start({
    checkpoint: options.checkpoint,
    maxQueue: limits.maxQueue,
    workers: options.workers ?? 1,
    maxBatch: batching.maxBatch,
    batchWaitMs: batching.waitMs,
    onBatch: (size) => metrics.batch(size),
  });
  const { info } = host;

  const app = Fastify({
    logger: options.log ?? false,
    bodyLimit: limits.bodyLimit,
    requestTimeout: 60_000,
    // A connection idle this long — a client that stopped reading its answer, or never sends — is closed, and
    // what its answer held is released.
    connectionTimeout: limits.socketTimeoutSeconds * 1000,
    // Reject rather than repair: no type coercion ("3" is not a beam size) and no silent removal of unknown fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    genReqId: requestId,
  });
  // JSON only: fastify also parses text/plain by default, which would turn a wrong content type into a 400.
  app.removeContentTypeParser('text/plain');
  // Once close() is called, answers say `Connection: close`: a keep-alive client would otherwise hold its
  // connection open after its answer, and close() waits for every connection to end.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A client that half-closes its side after sending its request (shutdown(SHUT_WR)) still gets its answer.
  (app.server as { httpAllowHalfOpen?: boolean }).httpAllowHalfOpen = true;
  app.server.maxConnections = limits.maxConnections;
  const hostAllowed = hostAllowList(options.allowedHosts);
  app.addHook('onRequest', async (request) => {
    if (PROBE_PATHS.includes(request.routeOptions.url ?? '')) return;
    if (!hostAllowed(request.headers.host)) {
      throw new HttpError(
        403,
        `this server does not answer to the host ${JSON.stringify(String(request.headers.host ?? '').slice(0, 100))}; ` +
          'start it with --allowed-hosts NAME to allow a name',
      );
    }
  });
  const pending = new PendingAnswers(limits.maxPendingBytes);
  app.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    // With COOP, cross-origin isolation: a model in the tab gets shared memory, so its kernels threads.
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Embedder-Policy', 'require-corp');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (request.url.startsWith('/api/')) reply.header('Cache-Control', 'no-store');
    if (closing) reply.header('Connection', 'close');
  });
  /** Sends `json`, counting it against the budget of unsent answers until its socket has taken it or closed. */
  const sendCounted = (reply: FastifyReply, json: string): FastifyReply => {
    pending.hold(Buffer.byteLength(json), (release) => {
      reply.raw.once('finish', release);
      reply.raw.once('close', release);
    });
    return reply.type('application/json; charset=utf-8').send(json);
  };
  const checkRoom = (): void => {
    if (!pending.hasRoom()) {
      throw new HttpError(503, 'the server is holding too many unsent answers for slow clients; retry later');
    }
  };
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message } = describeError(
      error,
      request.method,
      request.url,
      limits,
      request.routeOptions.schema,
    );
    if (status >= 500) request.log.error(error);
    sendError(reply, status, message);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.answered(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', () => host.close());

  await registerClientPolicies(app, corsOrigins, options.rateLimit);
  addOperatorRoutes(app, () => host.readiness(), metrics);

  app.get('/api/info', async (): Promise<PredictorInfo> => info);
  app.get('/api/limits', async (): Promise<ServeLimits> => limits);

  app.post<{ Body: TranslateBody }>(
    '/api/translate',
    { schema: { body: translateBodySchema(limits) } },
    async (request, reply): Promise<FastifyReply> => {
      requireTask(info, 'translate');
      const { text, beamSize = 1, maxLength, nBest = 1, attention = 'all', sample = false } = request.body;
      checkWords(text, limits);
      if (nBest > beamSize)
        throw new HttpError(400, `nBest (${nBest}) must not exceed beamSize (${beamSize})`);
      const sampling: TranslateOptions = {};
      for (const field of SAMPLING_FIELDS) {
        const value = request.body[field];
        if (value === undefined) continue;
        if (!sample) throw new HttpError(400, `${field} applies only when sampling ("sample": true)`);
        sampling[field] = value;
      }
      if (sample && beamSize > 1)
        throw new HttpError(
          400,
          `"sample": true draws one translation: it does not go with beamSize ${beamSize}`,
        );
      checkRoom();
      // The worker leaves out the attention this answer will not carry, so it never builds it.
      const options: TranslateOptions = { beamSize, nBest, attention };
      if (maxLength !== undefined) options.maxLength = maxLength;
      if (sample) Object.assign(options, { sample: true }, sampling);
      const result = await host.run({ kind: 'translate', text, options }, clientGone(reply));
      metrics.generated(result.hypotheses.reduce((sum, h) => sum + h.tokens.length, 0));
      return sendCounted(
        reply,
        boundedTranslationJson(result as TranslationResult, attention, limits.maxResponseBytes),
      );
    },
  );

  app.post<{ Body: ClassifyBody }>(
    '/api/classify',
    { schema: { body: classifyBodySchema(limits) } },
    async (request, reply): Promise<FastifyReply> => {
      requireTask(info, 'classify');
      checkWords(request.body.text, limits);
      checkRoom();
      const result = await host.run({ kind: 'classify', text: request.body.text }, clientGone(reply));
      return sendCounted(reply, JSON.stringify(result as ClassificationResult));
    },
  );

  if (pageDirectory) await app.register(fastifyStatic, { root: pageDirectory, prefix: '/' });

  return {
    app,
    info,
    limits,
    batching,
    stats: () => ({ ...host.stats(), pendingAnswerBytes: pending.bytes }),
    listen: (port, hostName = '127.0.0.1') => app.listen({ port, host: hostName }),
    close: () => app.close(),
  };
}

/** CORS for the origins given (none: off) and the optional per-client rate limit on the API. */
async function registerClientPolicies(
  app: FastifyInstance,
  corsOrigins: readonly string[],
  rateLimit: RateLimit | undefined,
): Promise<void> {
  if (corsOrigins.length > 0)
    await app.register(fastifyCors, {
      origin: corsOrigins.includes('*') ? '*' : [...corsOrigins],
      methods: ['GET', 'POST'],
      exposedHeaders: ['X-Request-Id'],
    });
  if (rateLimit)
    await app.register(fastifyRateLimit, {
      max: rateLimit.max,
      timeWindow: rateLimit.windowSeconds * 1000,
      // Only the API costs model time; the page, the probes and the metrics are not limited.
      allowList: (request) => !request.url.startsWith('/api/'),
    });
}

/** Each origin is `*` or a URL origin exactly (`https://example.org`, no path, no trailing slash). */
export function checkCorsOrigins(origins: readonly string[]): readonly string[] {
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol))
      throw new Error(
        `createServer: corsOrigins: ${JSON.stringify(origin)} is not an origin like https://example.org (or *)`,
      );
  }
  return origins;
}

function requireTask(info: PredictorInfo, task: PredictorInfo['task']): void {
  if (info.task === task) return;
  const other = info.task === 'translate' ? '/api/translate' : '/api/classify';
  throw new HttpError(
    404,
    `this server runs a ${info.task} model (${info.architecture}), which cannot ${task}; use POST ${other}`,
  );
}

function checkWords(text: string, limits: ServeLimits): void {
  const words = countWords(text);
  if (words > limits.maxWords)
    throw new HttpError(400, `text has ${words} words; the limit is ${limits.maxWords}`);
}

/** Aborts when the client closes the connection before its answer is written. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

function sendError(reply: FastifyReply, status: number, message: string): void {
  void reply.status(status).send({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message });
}

function describeError(
  error: FastifyError,
  method: string,
  url: string,
  limits: ServeLimits,
  schema: { body?: unknown } | undefined,
): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.statusCode, message: error.message };
  if (error.validation && error.validation.length > 0) {
    const properties = (schema?.body as { properties?: Record<string, unknown> } | undefined)?.properties;
    const allowed = Object.keys(properties ?? {});
    return { status: 400, message: describeSchemaError(error.validation[0] as SchemaError, allowed) };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        message: `${method} ${url} takes a JSON body: send it with Content-Type: application/json`,
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `the body is larger than the limit of ${limits.bodyLimit} bytes` };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'the body is empty; send a JSON object like {"text": "..."}' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, message: 'the body is not valid JSON' };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Other client errors (a malformed body fastify's JSON parser rejects, a bad Content-Length): its message.
    const detail =
      error instanceof SyntaxError ? `the body is not valid JSON: ${error.message}` : error.message;
    return { status, message: detail };
  }
  return { status: 500, message: 'internal server error' };
}

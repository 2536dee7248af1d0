/**
 * `createServer`: the HTTP server of `attn serve` (fastify). A JSON API over one model — `POST /api/translate`,
 * `POST /api/classify`, `GET /api/info`, `GET /api/limits` — and the web page at `/`. Requests are checked
 * (JSON only, body size, text length, beam-size and length bounds, no unknown fields) before anything reaches
 * the model, which runs on a worker thread (see predictor-host.ts). `close()` stops accepting connections,
 * lets the requests under way finish, then stops the worker.
 */
import { STATUS_CODES } from 'node:http';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { ClassificationResult, PredictorInfo, TranslationResult } from '../inference/types.js';
import { HttpError } from './http-error.js';
import { countWords, resolveLimits, type ServeLimits } from './limits.js';
import { checkPageDirectory } from './page-files.js';
import { PredictorHost, type HostStats } from './predictor-host.js';
import {
  classifyBodySchema,
  describeSchemaError,
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
}

export interface AttnServer {
  readonly app: FastifyInstance;
  readonly info: PredictorInfo;
  readonly limits: ServeLimits;
  /** Jobs running and waiting on the model. */
  stats(): HostStats;
  /** Starts listening; resolves with the URL (port 0 picks a free port). */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, finishes the requests under way, stops the model's worker. */
  close(): Promise<void>;
}

/** The page may load only its own files and talk only to this server: no CDN, no other origin. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Loads the model on its worker thread and builds the server (not yet listening). */
export async function createServer(options: ServeOptions): Promise<AttnServer> {
  const limits = resolveLimits(options.limits);
  const pageDirectory = options.page === false ? undefined : checkPageDirectory();
  const host = await PredictorHost.start({ checkpoint: options.checkpoint, maxQueue: limits.maxQueue });
  const { info } = host;

  const app = Fastify({
    logger: options.log ?? false,
    bodyLimit: limits.bodyLimit,
    requestTimeout: 60_000,
    // Reject rather than repair: no type coercion ("3" is not a beam size) and no silent removal of unknown fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  // JSON only: fastify also parses text/plain by default, which would turn a wrong content type into a 400.
  app.removeContentTypeParser('text/plain');
  // Once close() is called, answers say `Connection: close`: a keep-alive client would otherwise hold its
  // connection open after its answer, and close() waits for every connection to end.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    if (closing) reply.header('Connection', 'close');
  });
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
  app.addHook('onClose', () => host.close());

  app.get('/api/info', async (): Promise<PredictorInfo> => info);
  app.get('/api/limits', async (): Promise<ServeLimits> => limits);

  app.post<{ Body: TranslateBody }>(
    '/api/translate',
    { schema: { body: translateBodySchema(limits) } },
    async (request, reply): Promise<TranslationResult> => {
      requireTask(info, 'translate');
      const { text, beamSize = 1, maxLength, nBest = 1 } = request.body;
      checkWords(text, limits);
      if (nBest > beamSize)
        throw new HttpError(400, `nBest (${nBest}) must not exceed beamSize (${beamSize})`);
      const options = maxLength === undefined ? { beamSize, nBest } : { beamSize, nBest, maxLength };
      return host.run({ kind: 'translate', text, options }, clientGone(reply));
    },
  );

  app.post<{ Body: ClassifyBody }>(
    '/api/classify',
    { schema: { body: classifyBodySchema(limits) } },
    async (request, reply): Promise<ClassificationResult> => {
      requireTask(info, 'classify');
      checkWords(request.body.text, limits);
      return host.run({ kind: 'classify', text: request.body.text }, clientGone(reply));
    },
  );

  if (pageDirectory) await app.register(fastifyStatic, { root: pageDirectory, prefix: '/' });

  return {
    app,
    info,
    limits,
    stats: () => host.stats(),
    listen: (port, hostName = '127.0.0.1') => app.listen({ port, host: hostName }),
    close: () => app.close(),
  };
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

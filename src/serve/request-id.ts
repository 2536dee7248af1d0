/**
 * Request ids: every answer carries `X-Request-Id`, and the structured log (fastify's pino, `--log`) records it
 * on each line of that request, so an operator can follow one request from a client's report to the log. A
 * client's own `X-Request-Id` (what a load balancer or tracing proxy sets) is kept when it is a plain token;
 * anything else is replaced, so a hostile header cannot forge or break log lines.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Letters, digits and `._:-`, at most 128 characters. */
const PLAIN_TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the client's X-Request-Id when it is a plain token, else a fresh UUID. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && PLAIN_TOKEN.test(given) ? given : randomUUID();
}

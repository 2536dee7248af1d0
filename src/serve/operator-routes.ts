/**
 * The routes an operator's tools call rather than users: `GET /healthz` (the process is up and answering),
 * `GET /readyz` (the model is loaded and the queue has room: send traffic here) and `GET /metrics` (Prometheus).
 * The probes answer whatever the Host header says, since load balancers and orchestrators probe by address or
 * service name; they carry no data worth a DNS-rebinding attack.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from './metrics.js';
import type { Readiness } from './predictor-host.js';

export const PROBE_PATHS: readonly string[] = ['/healthz', '/readyz'];

export function addOperatorRoutes(
  app: FastifyInstance,
  readiness: () => Readiness,
  metrics: ServerMetrics,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const state = readiness();
    if (!state.ready) return reply.status(503).send({ status: 'not ready', reason: state.reason });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, text } = await metrics.scrape();
    return reply.type(contentType).send(text);
  });
}

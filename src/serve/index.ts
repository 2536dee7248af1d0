/**
 * The HTTP server of `attn serve` (Node): a JSON API over one checkpoint with the model on a worker thread,
 * and the web page that draws its attention.
 */
export {
  createServer,
  DEFAULT_BATCHING,
  type AttnServer,
  type Batching,
  type RateLimit,
  type ServeOptions,
} from './server.js';
export { DEFAULT_LIMITS, resolveLimits, type ServeLimits } from './limits.js';
export { closeOnSignal, type ShutdownOptions } from './shutdown.js';
export type { HostStats } from './predictor-host.js';
export type { TranslateBody, ClassifyBody } from './schemas.js';

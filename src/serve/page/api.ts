/** The page's calls to its server's JSON API; a non-2xx answer becomes an Error carrying the server's message. */
import type {
  ClassificationResult,
  PredictorInfo,
  TranslateOptions,
  TranslationResult,
} from '../../inference/types.js';
import type { ServeLimits } from '../limits.js';

async function call<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const payload = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) {
    const message = (payload as { message?: unknown } | undefined)?.message;
    throw new Error(typeof message === 'string' ? message : `${path} answered ${response.status}`);
  }
  return payload as T;
}

export const getInfo = (): Promise<PredictorInfo> => call('/api/info');
export const getLimits = (): Promise<ServeLimits> => call('/api/limits');
export const translate = (
  body: { text: string } & Pick<
    TranslateOptions,
    'beamSize' | 'nBest' | 'sample' | 'temperature' | 'topK' | 'topP' | 'seed'
  >,
): Promise<TranslationResult> => call('/api/translate', body);
export const classify = (text: string): Promise<ClassificationResult> => call('/api/classify', { text });

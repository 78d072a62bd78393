import { encodeJson } from '../../common/json-payload.js';
import type { BackoffPolicy } from '../../interfaces/job.interface.js';

/** Encodes a per-job backoff override for its JSON text column; null stays null. */
export function encodeBackoff(backoff: BackoffPolicy | null): string | null {
  return backoff === null ? null : encodeJson('backoff', backoff);
}

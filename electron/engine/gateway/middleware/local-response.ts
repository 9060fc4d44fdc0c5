import type { LocalResponse } from '../types.ts';

/** The body every gateway-made error carries: `{"error":"...","status":N}`. */
export function errorBody(status: number, message: string): string {
  return JSON.stringify({ error: message, status });
}

/**
 * A gateway-made JSON answer. The body is usually precomputed by the caller,
 * so a refusal costs one small object and its header list.
 */
export function jsonResponse(status: number, body: string, extraHeaders?: Array<[string, string]>): LocalResponse {
  const headers: Array<[string, string]> = [['content-type', 'application/json']];
  if (extraHeaders !== undefined) for (let i = 0; i < extraHeaders.length; i++) headers.push(extraHeaders[i]!);
  return { status, headers, body };
}

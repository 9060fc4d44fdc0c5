/**
 * One error type for the whole product. Callers match on `code`, never on
 * `instanceof` or message text, because the code is what survives the wire.
 */
export const ErrorCodes = {
  badMessage: 'NETOPS_BAD_MESSAGE',
  badParams: 'NETOPS_BAD_PARAMS',
  badResult: 'NETOPS_BAD_RESULT',
  unknownMethod: 'NETOPS_UNKNOWN_METHOD',
  protocol: 'NETOPS_PROTOCOL',
  notFound: 'NETOPS_NOT_FOUND',
  cancelled: 'NETOPS_CANCELLED',
  timeout: 'NETOPS_TIMEOUT',
  disconnected: 'NETOPS_DISCONNECTED',
  limit: 'NETOPS_LIMIT',
  unauthorized: 'NETOPS_UNAUTHORIZED',
  configInvalid: 'NETOPS_CONFIG_INVALID',
  invalidArgument: 'NETOPS_INVALID_ARGUMENT',
  conflict: 'NETOPS_CONFLICT',
  unavailable: 'NETOPS_UNAVAILABLE',
  internal: 'NETOPS_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const knownCodes = new Set<string>(Object.values(ErrorCodes));

export interface ErrorPayload {
  code: string;
  message: string;
}

export class NetopsError extends Error {
  override readonly name = 'NetopsError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message };
  }
}

export function isNetopsError(value: unknown, code?: ErrorCode): value is NetopsError {
  return value instanceof NetopsError && (code === undefined || value.code === code);
}

/** What an unexpected exception looks like on the wire: no stack, no internals. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof NetopsError) return error.toPayload();
  return { code: ErrorCodes.internal, message: 'internal error' };
}

export function fromErrorPayload(payload: ErrorPayload): NetopsError {
  const code = knownCodes.has(payload.code) ? (payload.code as ErrorCode) : ErrorCodes.internal;
  return new NetopsError(code, payload.message);
}

import type { MiddlewareConfig } from '../../../../shared/contract/gateway-config.ts';
import type { LocalResponse, RequestContext, RequestMiddleware } from '../types.ts';
import { errorBody, jsonResponse } from './local-response.ts';

export type BodyLimitConfig = Extract<MiddlewareConfig, { type: 'bodyLimit' }>;

/**
 * Refuses a declared Content-Length over maxBytes before any byte is read;
 * for chunked bodies it lowers context.maxBodyBytes and the proxy counts
 * while streaming (the size is not known up front).
 */
export class BodyLimitMiddleware implements RequestMiddleware {
  readonly type = 'bodyLimit';
  readonly name: string;
  private readonly maxBytes: number;
  private readonly tooLargeBody: string;
  private passed = 0;
  private refused = 0;

  constructor(config: BodyLimitConfig) {
    this.name = config.name;
    this.maxBytes = config.maxBytes;
    this.tooLargeBody = errorBody(413, `request body larger than ${config.maxBytes} bytes`);
  }

  handle(context: RequestContext): LocalResponse | undefined {
    const length = context.bodyLength;
    if (typeof length === 'number' && length > this.maxBytes) {
      this.refused++;
      return jsonResponse(413, this.tooLargeBody);
    }
    if (context.maxBodyBytes > this.maxBytes) context.maxBodyBytes = this.maxBytes;
    this.passed++;
    return undefined;
  }

  counters(): Record<string, number> {
    return { passed: this.passed, refused: this.refused };
  }
}

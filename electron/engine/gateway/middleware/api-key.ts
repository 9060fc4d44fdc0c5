import type { MiddlewareConfig } from '../../../../shared/contract/gateway-config.ts';
import type { ApiKeyVerifier } from '../../security/index.ts';
import type { LocalResponse, RequestContext, RequestMiddleware } from '../types.ts';
import { errorBody, jsonResponse } from './local-response.ts';

export type ApiKeyConfig = Extract<MiddlewareConfig, { type: 'apiKey' }>;

/**
 * Lets through requests that carry an active key of the security store, in
 * the configured header or as `Authorization: Bearer <key>`. The key is
 * removed before the request goes upstream, so backends never see it; they
 * can tell callers apart by what the proxy forwards of context.apiKeyId.
 *
 * Refusals: 401 with a Bearer challenge (RFC 6750) when the key is missing
 * or unknown, 403 when it is valid but not among allowKeyIds.
 */
export class ApiKeyMiddleware implements RequestMiddleware {
  readonly type = 'apiKey';
  readonly name: string;
  private readonly header: string;
  private readonly allowKeyIds: ReadonlySet<string> | undefined;
  private readonly missingHeaders: Array<[string, string]>;
  private readonly invalidHeaders: Array<[string, string]>;
  private readonly missingBody = errorBody(401, 'API key required');
  private readonly invalidBody = errorBody(401, 'invalid API key');
  private readonly forbiddenBody = errorBody(403, 'API key not allowed here');

  private allowed = 0;
  private missing = 0;
  private invalid = 0;
  private forbidden = 0;

  constructor(
    config: ApiKeyConfig,
    private readonly keys: ApiKeyVerifier,
  ) {
    this.name = config.name;
    this.header = config.header.toLowerCase();
    this.allowKeyIds = config.allowKeyIds.length > 0 ? new Set(config.allowKeyIds) : undefined;
    const realm = `Bearer realm="${config.name}"`;
    this.missingHeaders = [['www-authenticate', realm]];
    this.invalidHeaders = [['www-authenticate', `${realm}, error="invalid_token"`]];
  }

  handle(context: RequestContext): LocalResponse | undefined {
    const headers = context.headers;
    let key = headers.get(this.header);
    let from = this.header;
    if (key === undefined) {
      const authorization = headers.get('authorization');
      if (authorization !== undefined && isBearer(authorization)) {
        key = authorization.slice(7).trim();
        from = 'authorization';
      }
    }
    if (key === undefined || key.length === 0) {
      this.missing++;
      return jsonResponse(401, this.missingBody, this.missingHeaders);
    }
    const id = this.keys.verify(key);
    if (id === undefined) {
      this.invalid++;
      return jsonResponse(401, this.invalidBody, this.invalidHeaders);
    }
    if (this.allowKeyIds !== undefined && !this.allowKeyIds.has(id)) {
      this.forbidden++;
      return jsonResponse(403, this.forbiddenBody);
    }
    context.apiKeyId = id;
    headers.remove(from);
    this.allowed++;
    return undefined;
  }

  counters(): Record<string, number> {
    return { allowed: this.allowed, missing: this.missing, invalid: this.invalid, forbidden: this.forbidden };
  }
}

/** `Bearer ` with the scheme in any case (RFC 9110 auth schemes are case-insensitive), without a regex. */
function isBearer(value: string): boolean {
  return (
    value.length > 7 &&
    (value.charCodeAt(0) | 0x20) === 98 &&
    (value.charCodeAt(1) | 0x20) === 101 &&
    (value.charCodeAt(2) | 0x20) === 97 &&
    (value.charCodeAt(3) | 0x20) === 114 &&
    (value.charCodeAt(4) | 0x20) === 101 &&
    (value.charCodeAt(5) | 0x20) === 114 &&
    value.charCodeAt(6) === 32
  );
}

import type { MiddlewareConfig } from '../../../../shared/contract/gateway-config.ts';
import type { ApiKeyVerifier } from '../../security/index.ts';
import type { RequestMiddleware } from '../types.ts';
import { ApiKeyMiddleware } from './api-key.ts';
import { BodyLimitMiddleware } from './body-limit.ts';
import { CorsMiddleware } from './cors.ts';
import { HeadersMiddleware } from './headers.ts';
import { IpFilterMiddleware } from './ip-filter.ts';
import { RateLimitMiddleware } from './rate-limit.ts';

export interface MiddlewareDeps {
  apiKeys: ApiKeyVerifier;
}

/** Builds a middleware from its checked config. Each holds its own state (buckets, counters): build one per generation. */
export function createMiddleware(config: MiddlewareConfig, deps: MiddlewareDeps): RequestMiddleware {
  switch (config.type) {
    case 'rateLimit':
      return new RateLimitMiddleware(config);
    case 'apiKey':
      return new ApiKeyMiddleware(config, deps.apiKeys);
    case 'bodyLimit':
      return new BodyLimitMiddleware(config);
    case 'headers':
      return new HeadersMiddleware(config);
    case 'cors':
      return new CorsMiddleware(config);
    case 'firewall':
      return new IpFilterMiddleware(config);
  }
}

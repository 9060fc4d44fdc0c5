import type { MiddlewareConfig } from '../../../../shared/contract/gateway-config.ts';
import type { ApiKeyVerifier } from '../../security/index.ts';
import type { RequestMiddleware } from '../types.ts';
import { ApiKeyMiddleware } from './api-key.ts';
import { BodyLimitMiddleware } from './body-limit.ts';
import type { BucketTable } from './bucket-table.ts';
import { CorsMiddleware } from './cors.ts';
import { HeadersMiddleware } from './headers.ts';
import { IpFilterMiddleware } from './ip-filter.ts';
import { RateLimitMiddleware } from './rate-limit.ts';

export interface MiddlewareDeps {
  apiKeys: ApiKeyVerifier;
  /** A rate limit's buckets, shared by every worker; without it the middleware has its own. */
  bucketTable?: BucketTable | undefined;
}

/** Builds a middleware from its checked config. Each holds its own counters; a rate limit's buckets are deps.bucketTable's. */
export function createMiddleware(config: MiddlewareConfig, deps: MiddlewareDeps): RequestMiddleware {
  switch (config.type) {
    case 'rateLimit':
      return new RateLimitMiddleware(config, deps.bucketTable ? { table: deps.bucketTable } : {});
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

/**
 * The gateway's middlewares: one class per MiddlewareConfig type, all
 * synchronous and allocation-light on the request path, and createMiddleware
 * to build one from its config.
 */
export { createMiddleware, type MiddlewareDeps } from './create.ts';
export { RateLimitMiddleware, type RateLimitConfig, type RateLimitOptions } from './rate-limit.ts';
export { BUCKET_WAYS, BucketTable, bucketTableKeys, createBucketTable, releaseBucketLocks } from './bucket-table.ts';
export { ApiKeyMiddleware, type ApiKeyConfig } from './api-key.ts';
export { BodyLimitMiddleware, type BodyLimitConfig } from './body-limit.ts';
export { HeadersMiddleware, type HeadersConfig } from './headers.ts';
export { CorsMiddleware, type CorsConfig } from './cors.ts';
export { IpFilterMiddleware, type IpFilterConfig } from './ip-filter.ts';
export { AddressRanges } from './address-ranges.ts';
export { errorBody, jsonResponse } from './local-response.ts';

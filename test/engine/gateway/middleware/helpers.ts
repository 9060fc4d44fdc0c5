import type { LocalResponse, RequestContext } from '../../../../electron/engine/gateway/types.ts';
import { headerList } from '../helpers.ts';

export function requestContext(overrides: Partial<Omit<RequestContext, 'headers'>> & { headers?: Record<string, string> } = {}): RequestContext {
  const { headers, ...rest } = overrides;
  return {
    entryPoint: 'web',
    method: 'GET',
    path: '/',
    query: '',
    host: 'example.test',
    clientIp: '192.0.2.10',
    clientPort: 40000,
    scheme: 'http',
    bodyLength: 0,
    requestId: 'r1',
    apiKeyId: undefined,
    maxBodyBytes: Infinity,
    responseHeaders: [],
    responseHeadersRemove: [],
    ...rest,
    headers: headerList(Object.entries(headers ?? {})),
  };
}

export function header(response: LocalResponse | Array<[string, string]>, name: string): string | undefined {
  const list = Array.isArray(response) ? response : response.headers;
  return list.find(([n]) => n === name)?.[1];
}

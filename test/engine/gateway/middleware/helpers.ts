import type { HeaderList, LocalResponse, RequestContext } from '../../../../electron/engine/gateway/types.ts';

/** A HeaderList with the semantics types.ts documents, for driving middlewares without the proxy. */
export class TestHeaders implements HeaderList {
  readonly names: string[] = [];
  readonly values: string[] = [];

  constructor(init: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(init)) this.append(name.toLowerCase(), value);
  }

  get(name: string): string | undefined {
    const i = this.names.indexOf(name);
    return i < 0 ? undefined : this.values[i];
  }

  set(name: string, value: string): void {
    this.remove(name);
    this.append(name, value);
  }

  append(name: string, value: string): void {
    this.names.push(name);
    this.values.push(value);
  }

  remove(name: string): void {
    for (let i = this.names.length - 1; i >= 0; i--) {
      if (this.names[i] === name) {
        this.names.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }
}

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
    headers: new TestHeaders(headers),
  };
}

export function header(response: LocalResponse | Array<[string, string]>, name: string): string | undefined {
  const list = Array.isArray(response) ? response : response.headers;
  return list.find(([n]) => n === name)?.[1];
}

import { Buffer } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import type { HeaderList, LocalResponse } from '../types.ts';
import { FIELD_CHAR, TOKEN_LOWER } from './chars.ts';
import type { HeaderListImpl } from './header-list.ts';

/**
 * Heads go out as latin1 strings (`socket.write(head, 'latin1')`): every
 * char is one byte, so what was parsed is sent back byte for byte. Values
 * are not checked here; HeaderListImpl checks what middleware adds and the
 * parsers checked the rest.
 */
export function serializeRequestHead(method: string, target: string, headers: HeaderList): string {
  let head = method + ' ' + target + ' HTTP/1.1\r\n';
  const names = headers.names;
  const values = headers.values;
  for (let i = 0; i < names.length; i++) head += names[i] + ': ' + values[i] + '\r\n';
  return head + '\r\n';
}

export function serializeResponseHead(status: number, reason: string, headers: HeaderList): string {
  let head = 'HTTP/1.1 ' + status + ' ' + reason + '\r\n';
  const names = headers.names;
  const values = headers.values;
  for (let i = 0; i < names.length; i++) head += names[i] + ': ' + values[i] + '\r\n';
  return head + '\r\n';
}

/** The standard reason phrase of a status, or "Unknown". */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

/**
 * A whole answer from the gateway itself, head and UTF-8 body in one
 * buffer. The codec owns framing: any Content-Length, Transfer-Encoding or
 * Connection in `response.headers` is replaced. `headRequest` leaves the
 * body out and keeps its length; 1xx, 204 and 304 get neither.
 */
export function serializeLocalResponse(response: LocalResponse, keepAlive: boolean, headRequest: boolean): Buffer {
  const { status, headers, body } = response;
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new NetopsError(ErrorCodes.invalidArgument, `invalid status ${status}`);
  let head = 'HTTP/1.1 ' + status + ' ' + reasonPhrase(status) + '\r\n';
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    checkField(name, value);
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
    head += name + ': ' + value + '\r\n';
  }
  const bodyless = status < 200 || status === 204 || status === 304;
  const bodyBytes = bodyless ? 0 : Buffer.byteLength(body, 'utf8');
  if (!bodyless) head += 'content-length: ' + bodyBytes + '\r\n';
  head += keepAlive ? 'connection: keep-alive\r\n\r\n' : 'connection: close\r\n\r\n';
  const headBytes = head.length;
  const sentBody = bodyless || headRequest ? 0 : bodyBytes;
  const out = Buffer.allocUnsafe(headBytes + sentBody);
  out.write(head, 0, headBytes, 'latin1');
  if (sentBody > 0) out.write(body, headBytes, sentBody, 'utf8');
  return out;
}

/**
 * Header fields that belong to one connection (RFC 9110 7.6.1): Connection,
 * the fields it names, Keep-Alive and Proxy-Connection. Framing fields and
 * Host are never removed on a Connection token's say-so, since a client
 * could otherwise make the proxy drop Content-Length or Transfer-Encoding
 * and desynchronize the upstream. Upgrade, TE and Transfer-Encoding are the
 * proxy's to decide.
 */
export function removeConnectionHeaders(headers: HeaderListImpl): void {
  const names = headers.names;
  const named = connectionNamed(names, headers.values);
  if (named !== undefined) {
    for (const name of named) headers.remove(name);
    headers.remove('connection');
  }
  if (names.indexOf('keep-alive') !== -1) headers.remove('keep-alive');
  if (names.indexOf('proxy-connection') !== -1) headers.remove('proxy-connection');
}

const PROTECTED = new Set(['content-length', 'transfer-encoding', 'host', 'upgrade']);

/**
 * The fields the Connection header of these fields names (RFC 9110 7.6.1:
 * a proxy forwards none of them), lower case, without the ones never
 * removed on its say-so (see removeConnectionHeaders); undefined when there
 * is no Connection header.
 */
export function connectionNamed(names: readonly string[], values: readonly string[]): string[] | undefined {
  if (names.indexOf('connection') === -1) return undefined;
  const named: string[] = [];
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== 'connection') continue;
    for (const token of values[i]!.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && !PROTECTED.has(name)) named.push(name);
    }
  }
  return named;
}

function checkField(name: string, value: string): void {
  let valid = name.length > 0;
  for (let i = 0; i < name.length && valid; i++) {
    const code = name.charCodeAt(i);
    valid = code <= 0xff && TOKEN_LOWER[code] !== 0;
  }
  for (let i = 0; i < value.length && valid; i++) {
    const code = value.charCodeAt(i);
    valid = code <= 0xff && FIELD_CHAR[code] !== 0;
  }
  if (!valid) throw new NetopsError(ErrorCodes.invalidArgument, `invalid header ${JSON.stringify(name)} in a local response`);
}

/**
 * The gateway's HTTP/1.1 codec: incremental, strict request and response
 * parsers over raw socket chunks, and the serializers for what goes back on
 * the wire. No node:http: the proxy owns its sockets, and these run once per
 * request on each side, so they are built for the hot path.
 */
export { HttpParseError, type HttpErrorKind } from './errors.ts';
export { HeaderListImpl } from './header-list.ts';
export { viewOf, type HttpParserOptions } from './message-parser.ts';
export { RequestParser, type RequestHead, type RequestParserHandler } from './request-parser.ts';
export { ResponseParser, type ResponseHead, type ResponseParserHandler } from './response-parser.ts';
export { connectionNamed, reasonPhrase, removeConnectionHeaders, serializeLocalResponse, serializeRequestHead, serializeResponseHead } from './serialize.ts';

import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';

/**
 * Why a message was refused. The request parser's kinds map to the status
 * the gateway answers with; everything wrong with an upstream's response is
 * the upstream's fault, so the response parser's errors all carry 502 and
 * the kind only says what went wrong.
 */
export type HttpErrorKind = 'bad-request' | 'bad-response' | 'header-too-large' | 'version-not-supported' | 'body-too-large';

const REQUEST_STATUS: Record<HttpErrorKind, number> = {
  'bad-request': 400,
  'bad-response': 502,
  'header-too-large': 431,
  'version-not-supported': 505,
  'body-too-large': 413,
};

export class HttpParseError extends NetopsError {
  /** The status the gateway answers with (400, 413, 431, 505 for requests; 502 for responses). */
  readonly status: number;

  constructor(
    readonly kind: HttpErrorKind,
    message: string,
    fromUpstream: boolean,
  ) {
    super(kind === 'header-too-large' || kind === 'body-too-large' ? ErrorCodes.limit : ErrorCodes.protocol, message);
    this.status = fromUpstream ? 502 : REQUEST_STATUS[kind];
  }
}

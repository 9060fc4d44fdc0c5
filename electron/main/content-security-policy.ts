import type { WebRequest } from 'electron';

/**
 * The desktop renderer's policy. The page talks to the host only through the
 * preload pipe, so it needs no network at all: scripts, styles, fonts and
 * images come from its own files. renderer/index.html also carries a meta
 * policy (written for the browser console too, so it allows the RPC socket);
 * a document obeys every policy it gets, so the stricter header wins here,
 * and the meta tag still holds if Chromium skips webRequest for a file:// load.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export type HeadersReceivedHook = Pick<WebRequest, 'onHeadersReceived'>;

/** Sets the policy header on every response for the app's own files, replacing any policy already there. */
export function installContentSecurityPolicy(webRequest: HeadersReceivedHook, isAppResource: (url: string) => boolean): void {
  webRequest.onHeadersReceived((details, callback) => {
    if (!isAppResource(details.url)) {
      callback({});
      return;
    }
    const responseHeaders: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() !== 'content-security-policy') responseHeaders[name] = value;
    }
    responseHeaders['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders });
  });
}

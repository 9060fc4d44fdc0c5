/**
 * An instance's URL as a narrow column shows it: plain http is the rule and
 * its scheme only costs the port's room; https stays said.
 */
export function instanceLabel(url: string): string {
  return url.startsWith('http://') ? url.slice('http://'.length) : url;
}

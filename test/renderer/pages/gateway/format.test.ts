import { describe, expect, it } from 'vitest';
import { instanceLabel } from '../../../../renderer/pages/gateway/format.ts';

describe('instanceLabel', () => {
  it('leaves out the http scheme, so the port fits the column, and keeps https', () => {
    expect(instanceLabel('http://127.0.0.1:38147')).toBe('127.0.0.1:38147');
    expect(instanceLabel('http://[::1]:8080')).toBe('[::1]:8080');
    expect(instanceLabel('https://api.internal:8443')).toBe('https://api.internal:8443');
  });
});

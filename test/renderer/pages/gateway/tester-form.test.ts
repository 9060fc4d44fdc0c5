import { describe, expect, it } from 'vitest';
import { emptyTestForm, validateTestForm } from '../../../../renderer/pages/gateway/tester-form.ts';

describe('the route tester form', () => {
  it('sends only what was filled in', () => {
    expect(validateTestForm(emptyTestForm()).value).toEqual({ method: 'GET', path: '/', headers: {} });
    const full = validateTestForm({ entryPoint: 'web', method: 'post', path: '/api?x=1', host: 'api.example.com', headers: 'x-api-key: nok_1\naccept: */*', body: '{}' });
    expect(full.value).toEqual({ entryPoint: 'web', method: 'POST', path: '/api?x=1', host: 'api.example.com', headers: { 'x-api-key': 'nok_1', accept: '*/*' }, body: '{}' });
  });

  it('reports bad input beside its field', () => {
    expect(validateTestForm({ ...emptyTestForm(), path: 'api' }).errors.path).toBe('Must start with "/"');
    expect(validateTestForm({ ...emptyTestForm(), path: '' }).errors.path).toBe('The path to request, e.g. /api/users?id=1');
    expect(validateTestForm({ ...emptyTestForm(), headers: 'no colon' }).errors.headers).toBe('Line 1: write Name: value');
    expect(validateTestForm({ ...emptyTestForm(), headers: 'bad name: x' }).errors.headers).toBe('"bad name" is not a valid name');
  });

  it('hints at a body sent with GET', () => {
    expect(validateTestForm({ ...emptyTestForm(), body: 'x' }).hints.body).toBe('Sent with GET, which usually has no body');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatewayJsonSchema, gatewayJsonSchemaText, GATEWAY_SCHEMA_ID } from '../../../../electron/engine/gateway/config/index.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('gateway JSON Schema', () => {
  it('assets/schema/gateway.schema.json is what the generator writes (run node --experimental-transform-types scripts/gen-gateway-schema.mjs)', () => {
    const committed = readFileSync(join(import.meta.dirname, '../../../../assets/schema/gateway.schema.json'), 'utf8');
    expect(committed).toBe(gatewayJsonSchemaText());
  });

  const schema = gatewayJsonSchema() as Json;
  const gateway = schema.properties.gateway as Json;

  it('describes the file: one gateway key, nothing else', () => {
    expect(schema.$id).toBe(GATEWAY_SCHEMA_ID);
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(['gateway']);
    expect(gateway.additionalProperties).toBe(false);
    expect(Object.keys(gateway.properties).sort()).toEqual(['accessLog', 'busyPollMicros', 'cpuAffinity', 'entryPoints', 'middlewares', 'routers', 'services', 'workers']);
    expect(gateway.properties.cpuAffinity).toMatchObject({ additionalProperties: false, required: ['workers'] });
    expect(gateway.properties.busyPollMicros).toEqual({ default: 0, type: 'integer', minimum: 0, maximum: 1_000_000 });
  });

  it('lists use the real item schemas, input side: fields with defaults are optional', () => {
    const router = gateway.properties.routers.items as Json;
    expect(router.additionalProperties).toBe(false);
    expect(router.required).toEqual(['name']);
    expect(Object.keys(router.properties)).toEqual(expect.arrayContaining(['name', 'entryPoints', 'match', 'priority', 'middlewares', 'service', 'rewrite', 'redirect', 'enabled']));
    expect(router.properties.match.properties.path.anyOf).toHaveLength(3);
    const entryPoint = gateway.properties.entryPoints.items as Json;
    expect(entryPoint.required).toEqual(['name', 'port']);
    expect(entryPoint.properties.protocol).toMatchObject({ enum: ['http', 'tcp'], default: 'http' });
    const service = gateway.properties.services.items as Json;
    expect(service.properties.balancer.enum).toContain('powerOfTwo');
    const middleware = gateway.properties.middlewares.items as Json;
    const types = (middleware.oneOf ?? middleware.anyOf).map((branch: Json) => branch.properties.type.const);
    expect(types).toEqual(['rateLimit', 'apiKey', 'bodyLimit', 'headers', 'cors', 'firewall']);
  });

  it('case-insensitive regexes are spelled out, since JSON Schema patterns have no flags', () => {
    const namePattern = new RegExp((gateway.properties.routers.items as Json).properties.name.pattern);
    expect(namePattern.test('Web-1')).toBe(true);
    expect(namePattern.test('-web')).toBe(false);
    const hostPattern = new RegExp((gateway.properties.routers.items as Json).properties.match.properties.hosts.items.pattern);
    expect(hostPattern.test('*.Example.COM')).toBe(true);
  });
});

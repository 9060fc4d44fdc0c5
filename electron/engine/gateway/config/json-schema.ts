import { z } from 'zod';
import { entryPointConfig, gatewayConfig, middlewareConfig, routerConfig, serviceConfig } from '../../../../shared/contract/gateway-config.ts';

/**
 * The whole gateway file as one schema, with the item schemas in place of
 * the outer shape's `unknown` lists. Editors use its JSON Schema for
 * completion and checks while typing; loading still goes item by item, so
 * one broken router never rejects the file.
 */
export const gatewayFileSchema = z
  .object({
    gateway: gatewayConfig
      .extend({
        entryPoints: z.array(entryPointConfig).max(256).default([]),
        routers: z.array(routerConfig).max(100_000).default([]),
        middlewares: z.array(middlewareConfig).max(10_000).default([]),
        services: z.array(serviceConfig).max(10_000).default([]),
      })
      .optional(),
  })
  .strict();

export const GATEWAY_SCHEMA_ID = 'https://netops.local/schema/gateway.schema.json';

/**
 * The JSON Schema of what an operator writes (zod's input side: defaults
 * are optional). Checks written as code (a tcp entry point needs a service,
 * a router has a service or a redirect, CIDR syntax) cannot be expressed and
 * are left to the loader.
 */
export function gatewayJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(gatewayFileSchema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      // JSON Schema patterns have no flags: a case-insensitive regex (names, header names, hosts) is spelled out.
      const checks = (ctx.zodSchema._zod.def as { checks?: Array<{ _zod: { def: { pattern?: unknown } } }> }).checks ?? [];
      for (const check of checks) {
        const regex = check._zod.def.pattern;
        if (regex instanceof RegExp && regex.flags.includes('i')) replacePattern(ctx.jsonSchema as Record<string, unknown>, regex.source, caseless(regex.source));
      }
    },
  }) as Record<string, unknown>;
  return { ...schema, $id: GATEWAY_SCHEMA_ID, title: 'NetOps Console gateway configuration' };
}

/** The file as committed at assets/schema/gateway.schema.json. */
export function gatewayJsonSchemaText(): string {
  return `${JSON.stringify(gatewayJsonSchema(), null, 2)}\n`;
}

function replacePattern(json: Record<string, unknown>, from: string, to: string): void {
  if (json.pattern === from) json.pattern = to;
  const allOf = json.allOf as Array<Record<string, unknown>> | undefined;
  if (Array.isArray(allOf)) for (const part of allOf) replacePattern(part, from, to);
}

/** The same regex without the "i" flag: "a-z" in a class becomes "a-zA-Z", a letter outside one becomes "[hH]". */
export function caseless(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === '\\') {
      out += source.slice(i, i + 2);
      i++;
    } else if (inClass) {
      if (char === ']') {
        inClass = false;
        out += char;
      } else if (isLetter(char) && source[i + 1] === '-' && isLetter(source[i + 2] ?? '')) {
        const range = source.slice(i, i + 3);
        out += `${range.toLowerCase()}${range.toUpperCase()}`;
        i += 2;
      } else {
        out += isLetter(char) ? `${char.toLowerCase()}${char.toUpperCase()}` : char;
      }
    } else if (char === '[') {
      inClass = true;
      out += char;
    } else {
      out += isLetter(char) ? `[${char.toLowerCase()}${char.toUpperCase()}]` : char;
    }
  }
  return out;
}

function isLetter(char: string): boolean {
  return (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z');
}

// Writes assets/schema/gateway.schema.json from the zod schemas; a test fails while the committed file is stale.
// Run with Node 22 (it loads the TypeScript sources directly, and some use parameter properties): node --experimental-transform-types scripts/gen-gateway-schema.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewayJsonSchemaText } from '../electron/engine/gateway/config/json-schema.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'assets/schema/gateway.schema.json');
writeFileSync(target, gatewayJsonSchemaText());
console.log(`wrote ${target}`);

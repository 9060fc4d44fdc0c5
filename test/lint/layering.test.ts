import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layering of ARCHITECTURE.md is enforced by lint; this proves the rules bite.
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('folder import rules', () => {
  it.each([
    ['shared/contract/x.ts', "import { readFile } from 'node:fs';\nexport const a = readFile;\n", 'no node:*'],
    ['shared/rpc/x.ts', "import { Host } from '../../electron/host/index.ts';\nexport const a = Host;\n", 'never import from electron/'],
    ['electron/engine/connections/x.ts', "import { app } from 'electron';\nexport const a = app;\n", 'Only electron/main and electron/preload'],
    ['electron/engine/connections/x.ts', "import { registerServices } from '../../services/index.ts';\nexport const a = registerServices;\n", 'bottom layer'],
    ['electron/engine/connections/x.ts', "import { WebSocket } from 'ws';\nexport const a = WebSocket;\n", 'Transports live'],
    ['electron/services/x.ts', "import { ConnectionTracker } from '../engine/connections/tracker.ts';\nexport const a = ConnectionTracker;\n", 'through its index.ts'],
    ['electron/host/x.ts', "import { runCli } from '../headless/index.ts';\nexport const a = runCli;\n", 'never imports an entry point'],
    ['electron/preload/x.ts', "import { readFile } from 'fs';\nexport const a = readFile;\n", 'no node:*'],
    ['electron/main/x.ts', "import { ConnectionTracker } from '../engine/connections/index.ts';\nexport const a = ConnectionTracker;\n", 'stays thin'],
    ['renderer/x.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n", 'Only electron/main and electron/preload'],
  ])('%s: %s is refused', async (filePath, code, expected) => {
    const messages = await restrictedImports(filePath, code);
    expect(messages.join('\n')).toContain(expected);
  });

  it('allows what the design allows', async () => {
    expect(await restrictedImports('electron/services/x.ts', "import { ConnectionTracker } from '../engine/connections/index.ts';\nexport const a = ConnectionTracker;\n")).toEqual([]);
    expect(await restrictedImports('electron/main/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([]);
    expect(await restrictedImports('shared/rpc/x.ts', "import { z } from 'zod';\nexport const a = z;\n")).toEqual([]);
  });
});

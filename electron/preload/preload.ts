// Sandboxed preload: bundled to dist/electron/preload.cjs, and may require nothing but 'electron'.
import { contextBridge, ipcRenderer } from 'electron';
import { exposeNetopsPipe } from './netops-pipe.ts';

exposeNetopsPipe({ contextBridge, ipcRenderer });

export { ConnectionMirror } from './connection-mirror.ts';
export { currentThreadId, formatCpuList, LINUX_ONLY, parseCpuList, tasksetPinner, workerCpus, type CpuPinner } from './cpu-affinity.ts';
export { GatewayDataPlane, type DataPlaneOptions, type RequestEntry, type SharedState, type WorkerReport } from './data-plane.ts';
export { HashedKeyVerifier, type ActiveKeyHash } from './key-verifier.ts';
export { CONTROL_LOCK_OWNER, controlToWorker, workerLockOwner, workerToControl, type ControlToWorker, type SharedMemory, type WorkerToControl } from './protocol.ts';
export { REPORT_INTERVAL_MS, runDataPlane } from './run-data-plane.ts';
export { inThreadRunner, spawnThreadRunner, WORKER_SEMI_SPACE_MB, type DataPlaneMain, type DataPlaneRunner, type PortLike } from './runner.ts';
export { WorkerHooks } from './worker-hooks.ts';

/** The parts of Electron's `app` the lifecycle helpers use. */
export interface LifecycleApp {
  requestSingleInstanceLock(): boolean;
  on(event: 'second-instance', listener: () => void): unknown;
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  quit(): void;
}

/**
 * One console per user: a second launch hands over to the first (which shows
 * its window) and quits. Returns false in the second instance.
 */
export function claimSingleInstance(app: LifecycleApp, onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', onSecondInstance);
  return true;
}

/**
 * Holds the first quit until the host has stopped (it drains listeners and
 * flushes state), then quits for real. Quitting again while the host stops
 * waits for the same stop.
 */
export function installGracefulQuit(app: LifecycleApp, stopHost: () => Promise<unknown>, onStopFailed: (error: unknown) => void): void {
  let phase: 'running' | 'stopping' | 'stopped' = 'running';
  app.on('before-quit', (event) => {
    if (phase === 'stopped') return;
    event.preventDefault();
    if (phase === 'stopping') return;
    phase = 'stopping';
    stopHost()
      .catch(onStopFailed)
      .finally(() => {
        phase = 'stopped';
        app.quit();
      });
  });
}

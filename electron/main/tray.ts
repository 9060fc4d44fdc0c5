import type { MenuItemConstructorOptions } from 'electron';
import type { AppFiles } from './app-files.ts';

export interface TrayActions {
  show(): void;
  quit(): void;
}

export function trayMenuTemplate(actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: 'Show NetOps Console', click: () => actions.show() },
    { type: 'separator' },
    { label: 'Quit', click: () => actions.quit() },
  ];
}

/**
 * macOS wants a monochrome template image it tints for the menu bar; other
 * platforms show the colour logo.
 */
export function trayIconFor(platform: NodeJS.Platform, files: Pick<AppFiles, 'trayIcon' | 'trayTemplateIcon'>): { path: string; template: boolean } {
  return platform === 'darwin' ? { path: files.trayTemplateIcon, template: true } : { path: files.trayIcon, template: false };
}

export interface TrayLike<M> {
  setToolTip(toolTip: string): void;
  setContextMenu(menu: M): void;
  on(event: 'click', listener: () => void): unknown;
}

export interface TrayDeps<T extends TrayLike<M>, M> {
  createTray(icon: { path: string; template: boolean }): T;
  buildMenu(template: MenuItemConstructorOptions[]): M;
}

/** The tray keeps Show and Quit within reach while the window is hidden or closed. */
export function createAppTray<T extends TrayLike<M>, M>(
  deps: TrayDeps<T, M>,
  icon: { path: string; template: boolean },
  actions: TrayActions,
): T {
  const tray = deps.createTray(icon);
  tray.setToolTip('NetOps Console');
  tray.setContextMenu(deps.buildMenu(trayMenuTemplate(actions)));
  // Windows and some Linux panels open nothing on a plain click unless told to.
  tray.on('click', () => actions.show());
  return tray;
}

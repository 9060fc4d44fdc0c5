import type { NotificationConstructorOptions } from 'electron';

export interface NotificationApi {
  isSupported(): boolean;
  create(options: NotificationConstructorOptions): { show(): void };
}

export interface Notifier {
  hostFailed(message: string): void;
}

/** Native notifications for events the operator must see even with the window hidden. */
export function createNotifier(api: NotificationApi, iconPath: string): Notifier {
  const notify = (title: string, body: string): void => {
    if (api.isSupported()) api.create({ title, body, icon: iconPath }).show();
  };
  return {
    hostFailed: (message) => notify('NetOps Console: host failed', message),
  };
}

export * from './format.ts';
export * from './icons.tsx';
export * from './keyboard.ts';
export { useNow } from './use-now.ts';
export { Age } from './Age.tsx';
export { Dialog, type DialogProps } from './Dialog.tsx';
export { VirtualTable, type VirtualColumn, type VirtualTableHandle, type VirtualTableProps, type VirtualTableSort } from './VirtualTable.tsx';
export { SessionProvider, useSession, useLiveStream } from './session-context.tsx';
export { ChartTooltip } from './ChartTooltip.tsx';

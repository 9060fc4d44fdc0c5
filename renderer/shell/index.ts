export { App } from './App.tsx';
export { bindDocumentTheme } from './theme.ts';

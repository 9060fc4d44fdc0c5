import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { SessionProvider } from './components/index.ts';
import { App, bindDocumentTheme } from './shell/index.ts';
import { useAppStore } from './store/index.ts';
import { createRendererSession } from './transport/index.ts';
import './styles/app.css';

bindDocumentTheme(useAppStore);
const session = createRendererSession(useAppStore);
session.start();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <SessionProvider session={session}>
      <App />
    </SessionProvider>
  </StrictMode>,
);

import { useAppStore } from '../store/index.ts';
import { Shell } from './Shell.tsx';
import { UnauthorizedPage } from './UnauthorizedPage.tsx';

export function App() {
  const unauthorized = useAppStore((state) => state.session.status === 'unauthorized');
  return unauthorized ? <UnauthorizedPage /> : <Shell />;
}

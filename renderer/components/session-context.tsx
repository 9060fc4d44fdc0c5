import { createContext, useContext, useEffect, type ReactNode } from 'react';
import type { RendererSession, StreamName } from '../transport/index.ts';

const SessionContext = createContext<RendererSession | null>(null);

export function SessionProvider({ session, children }: { session: RendererSession; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): RendererSession {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a SessionProvider');
  return session;
}

/** Keeps a live stream subscribed while the calling component is mounted. */
export function useLiveStream(name: StreamName): void {
  const session = useSession();
  useEffect(() => {
    const handle = session.retain(name);
    return () => handle.dispose();
  }, [session, name]);
}

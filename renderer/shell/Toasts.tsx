import { useEffect, useState } from 'react';
import { useAppStore, type Toast } from '../store/index.ts';
import { AlertIcon, CheckIcon, CloseIcon, InfoIcon } from '../components/index.ts';

export function Toasts() {
  const items = useAppStore((state) => state.toasts.items);
  return (
    <section className="toasts" aria-label="Notifications">
      {items.map((toast) => (
        <ToastView key={toast.id} toast={toast} />
      ))}
    </section>
  );
}

function ToastView({ toast }: { toast: Toast }) {
  const dismiss = useAppStore((state) => state.dismissToast);
  // Hovering or focusing a toast holds it, so it cannot vanish while being read.
  const [held, setHeld] = useState(false);

  useEffect(() => {
    if (held) return;
    const timer = setTimeout(() => dismiss(toast.id), toast.timeoutMs);
    return () => clearTimeout(timer);
  }, [dismiss, held, toast.id, toast.shownAt, toast.timeoutMs]);

  const Icon = toast.tone === 'success' ? CheckIcon : toast.tone === 'info' ? InfoIcon : AlertIcon;
  return (
    <div
      className={`toast toast-${toast.tone}`}
      role={toast.tone === 'error' ? 'alert' : 'status'}
      data-testid="toast"
      data-code={toast.code ?? undefined}
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <Icon className="icon toast-icon" />
      <div className="toast-content">
        <div className="toast-title">
          {toast.title}
          {toast.count > 1 ? <span className="toast-count">×{toast.count}</span> : null}
        </div>
        {toast.code ? <code className="toast-code">{toast.code}</code> : null}
        <div className="toast-message">{toast.message}</div>
      </div>
      <button type="button" className="icon-button toast-dismiss" aria-label="Dismiss notification" onClick={() => dismiss(toast.id)}>
        <CloseIcon />
      </button>
    </div>
  );
}

import { formatAge } from './format.ts';
import { useNow } from './use-now.ts';

/** Ticks on its own, so the rows around it need not re-render every second. */
export function Age({ since, suffix = '' }: { since: number; suffix?: string }) {
  const now = useNow();
  const text = formatAge(since, now);
  return <>{text === 'now' ? text : `${text}${suffix}`}</>;
}

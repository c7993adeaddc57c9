import { useEffect, useState } from 'react';
import { todayIn } from '../lib/view';

/**
 * Today's date in a time zone, kept current: a view left open past midnight counts its presets from the new
 * day (checked each minute and when the tab comes back; no request is made for it).
 */
export function useToday(tz: string | null): string {
  const [today, setToday] = useState(() => todayIn(tz));
  useEffect(() => {
    const check = () => setToday(todayIn(tz));
    check();
    const timer = setInterval(check, 60_000);
    document.addEventListener('visibilitychange', check);
    window.addEventListener('focus', check);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', check);
      window.removeEventListener('focus', check);
    };
  }, [tz]);
  return today;
}

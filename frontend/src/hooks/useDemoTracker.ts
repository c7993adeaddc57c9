import { useEffect, useRef } from 'react';
import { useLocation } from 'react-router';
import { init, pageview } from '../tracker';

/**
 * Runs the page's tracker while the public dashboard is mounted: `data-track` clicks are captured, a page view
 * is sent for each location, and leaving the route stops the listeners and sends what is still queued. Other
 * routes (login, admin panel) are never tracked.
 */
export function useDemoTracker(site: string): void {
  const location = useLocation();
  const viewed = useRef<string | null>(null);

  useEffect(() => {
    const tracker = init({ site });
    return () => {
      tracker.stop();
      void tracker.flush();
    };
  }, [site]);

  useEffect(() => {
    // One page view per location, also under StrictMode's double effects (refs survive them).
    const key = `${location.key}:${location.pathname}`;
    if (viewed.current === key) return;
    viewed.current = key;
    pageview();
  }, [location.key, location.pathname]);
}

// Entry of dist/t.js (vite.tracker.config.ts), the tracker any site can paste:
//
//   <script defer src="https://HOST/t.js" data-site="shop" data-api="https://HOST/api/events"></script>
//
// `data-site` defaults to "default", `data-api` to the script's own origin + /api/events. Then
// `window.pulse.track(name, props)`, `pulse.identify(userId)`, `pulse.optOut()`, `pulse.optIn()`.

import { createPulse, type Pulse } from './script';

declare global {
  interface Window {
    pulse?: Pulse;
  }
}

const script = document.currentScript;
window.pulse ||= createPulse(
  script?.dataset.site || 'default',
  script?.dataset.api || new URL('/api/events', (script as HTMLScriptElement | null)?.src || location.href).href,
);

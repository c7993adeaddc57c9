// Entry of dist/t.js (vite.tracker.config.ts), the tracker any site can paste:
//
//   <script defer src="https://HOST/t.js" data-site="shop" data-api="https://HOST/api/events"></script>
//
// `data-site` defaults to "default", `data-api` to the script's own origin + /api/events; `data-cookieless`
// keeps nothing in the browser (the collector derives a daily visitor id, see script.ts). Then
// `pulse.track(name, props)`, `pulse.identify(userId)`, `pulse.optOut()`, `pulse.optIn()`, `pulse.flush()`,
// or the same as `pulse('track', name, props)`. Calls made before the script loaded, on the stub
//
//   <script>window.pulse = window.pulse || function () { (pulse.q = pulse.q || []).push(arguments) }</script>
//
// are replayed in order, before the first page view.

import { createPulse, type Method, type Pulse } from './script';

/** `window.pulse`: the tracker's methods, also callable as `pulse('track', ...)`. */
export type PulseGlobal = Pulse & ((name: keyof Pulse, a?: unknown, b?: unknown) => void);

declare global {
  interface Window {
    pulse?: PulseGlobal;
  }
}

const script = document.currentScript as HTMLScriptElement | null;
// Until the script loads, maybe the page's stub, which queues calls in `q`.
const stub = window.pulse as Partial<PulseGlobal> & { q?: ArrayLike<unknown>[] } | undefined;
// A second copy of the script leaves the first one in charge.
if (!stub?.track) {
  const pulse = createPulse(
    script?.dataset.site || 'default',
    script?.dataset.api || new URL('/api/events', script?.src || location.href).href,
    stub?.q,
    script?.dataset.cookieless != null,
  );
  window.pulse = Object.assign(
    (name: keyof Pulse, a?: unknown, b?: unknown) => (pulse[name] as Method)(a, b),
    pulse,
  );
}

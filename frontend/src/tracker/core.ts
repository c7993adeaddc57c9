// Pieces shared by both builds of the tracker: the ES module the app imports (../tracker.ts) and the
// script tag any site can paste (./t.ts, built to dist/t.js). Everything here ends up in t.js, whose budget
// is 2 KB gzipped: keep it small.

/** The collector's event names: 1–128 letters, digits, space and `_ . : / -`. */
export const EVENT_NAME = /^[\w .:/-]{1,128}$/;

/** A version 4 UUID; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function uuid(): string {
  const c = globalThis.crypto as Crypto | undefined;
  try {
    return c!.randomUUID();
  } catch {
    // no randomUUID (insecure context, old browser): build one
  }
  return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (d) => {
    const n = +d;
    const r = c?.getRandomValues ? c.getRandomValues(new Uint8Array(1))[0] : (Math.random() * 256) | 0;
    return (n ^ (r & (15 >> (n / 4)))).toString(16);
  });
}

/**
 * What the tracker reports of a URL: the query string only with its `utm_*` parameters, the hash only when
 * it is a hash route (`#/...`). Query strings often hold e-mail addresses, tokens or search terms.
 */
export function cleanUrl(href: string): string {
  try {
    const url = new URL(href);
    const query = new URLSearchParams();
    url.searchParams.forEach((value, key) => {
      if (key.startsWith('utm_')) query.append(key, value);
    });
    url.search = query.toString();
    if (!url.hash.startsWith('#/')) url.hash = '';
    return url.href;
  } catch {
    return href;
  }
}

/** `data-track-*` attributes of an element as properties: `data-track-plan-name="pro"` gives `{plan_name: "pro"}`. */
export function trackProps(element: Element): Record<string, string> {
  const props: Record<string, string> = {};
  for (const { name, value } of Array.from(element.attributes)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('data-track-') && lower.length > 11) props[lower.slice(11).replace(/-/g, '_')] = value;
  }
  return props;
}

const DOWNLOAD =
  /\.(pdf|zip|rar|7z|t?gz|tar|dmg|exe|msi|pkg|deb|rpm|apk|iso|csv|xlsx?|docx?|pptx?|od[tsp]|rtf|txt|epub|mp[34]|wav|mov|avi|mkv|webm)$/i;

/**
 * The event a click on a link makes: `file_download` for a file (by extension or `download` attribute),
 * `outbound_click` for an http(s) link to another host, else nothing.
 */
export function linkEvent(link: HTMLAnchorElement, host: string): [string, { url: string }] | undefined {
  const url = { url: cleanUrl(link.href) };
  if (!/^https?:$/.test(link.protocol)) return;
  if (link.hasAttribute('download') || DOWNLOAD.test(link.pathname)) return ['file_download', url];
  if (link.host !== host) return ['outbound_click', url];
}

/**
 * Calls `onChange(false)` on SPA navigation (history.pushState / replaceState, popstate, hashchange) and
 * `onChange(true)` when the page comes back from the back-forward cache. For the life of the page: there
 * is no undo (the ES module watches once and forwards to its current tracker).
 */
export function watchNavigation(onChange: (restored: boolean) => void): void {
  const h = history;
  const wrap = (original: History['pushState']): History['pushState'] =>
    function (this: History, ...args) {
      original.apply(this, args);
      onChange(false);
    };
  const changed = () => onChange(false);
  // Called with `this` (history) inside wrap.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  h.pushState = wrap(h.pushState);
  // eslint-disable-next-line @typescript-eslint/unbound-method
  h.replaceState = wrap(h.replaceState);
  addEventListener('popstate', changed);
  addEventListener('hashchange', changed);
  addEventListener('pageshow', (event) => event.persisted && onChange(true));
}

// Pieces shared by both builds of the tracker: the ES module the app imports (../tracker.ts) and the
// script tag any site can paste (./t.ts, built to dist/t.js). Everything here ends up in t.js, whose budget
// is 2 KB gzipped: keep it small.

/**
 * The collector's event names: 1–128 letters, digits (any script: Rust's `is_alphanumeric`), space and
 * `_ . : / -`.
 */
export const EVENT_NAME = /^[\p{Alpha}\p{N} _.:/-]{1,128}$/u;

/** The localStorage flag of the opt-out, shared by both builds: `pulse_optout=1` stops all sending. */
export const OPT_OUT_KEY = 'pulse_optout';

/** A version 4 UUID from getRandomValues, which (unlike crypto.randomUUID) works outside secure contexts too. */
export const uuid = (): string =>
  '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (d) =>
    (+d ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (+d / 4)))).toString(16),
  );

/**
 * What the tracker reports of a URL: the query string only with its `utm_*` parameters, the hash only when
 * it is a hash route (`#/...` or `#!/...`), without its own query. Query strings often hold e-mail addresses,
 * tokens or search terms.
 */
export function cleanUrl(href: string): string {
  try {
    const url = new URL(href);
    const query = new URLSearchParams();
    url.searchParams.forEach((value, key) => {
      if (key.startsWith('utm_')) query.append(key, value);
    });
    url.search = query.toString();
    url.hash = /^#!?\//.test(url.hash) ? url.hash.replace(/\?.*/, '') : '';
    return url.href;
  } catch {
    return href;
  }
}

/**
 * Which page a URL is, for counting page views: the cleaned URL without its query, so that a replaceState
 * that only drops `utm_*` (or changes a stripped parameter or an anchor) is the same page, and a hash route
 * is another one.
 */
export const pageKey = (href: string): string => cleanUrl(href).replace(/\?[^#]*/, '');

/** `data-track-*` attributes of an element as properties: `data-track-plan-name="pro"` gives `{plan_name: "pro"}`. */
export function trackProps(element: Element): Record<string, string> {
  const props: Record<string, string> = {};
  for (const { name, value } of element.attributes) {
    const lower = name.toLowerCase();
    if (lower.startsWith('data-track-') && lower.length > 11) props[lower.slice(11).replace(/-/g, '_')] = value;
  }
  return props;
}

const DOWNLOAD =
  /\.(pdf|zip|rar|7z|t?gz|bz2|xz|tar|dmg|exe|msi|pkg|deb|rpm|apk|iso|jar|csv|xlsx?|docx?|pptx?|od[tsp]|rtf|txt|epub|mp[34]|mpe?g|wav|wm[av]|mov|avi|mkv|webm)$/i;

/** An event name and its properties. */
export type Made = [string, Record<string, string>];

/**
 * The event a click on a link makes: `file_download` for an http(s) file (by extension or `download`
 * attribute), `outbound_click` for an http(s) link to another origin, else nothing.
 */
export function linkEvent(link: HTMLAnchorElement): Made | undefined {
  if (!/^https?:$/.test(link.protocol)) return;
  const url = { url: cleanUrl(link.href) };
  if (link.hasAttribute('download') || DOWNLOAD.test(link.pathname)) return ['file_download', url];
  if (link.origin != location.origin) return ['outbound_click', url];
}

/**
 * The events of a `click` or `auxclick`: the `data-track` element's (a primary-button click only; keyboard
 * activation is one too) and the link's (also a ctrl/cmd-click, or a middle click, which is an `auxclick` with
 * button 1: a link opened in a new tab). Right clicks make nothing.
 */
export function clicked(event: MouseEvent): [Made?, Made?] {
  const target = event.target as Element | null;
  const plain = event.type == 'click';
  if (!target?.closest || event.button != +!plain) return [];
  const tagged = plain && target.closest('[data-track]');
  const link = target.closest<HTMLAnchorElement>('a[href]');
  return [tagged ? [tagged.getAttribute('data-track')!, trackProps(tagged)] : undefined, link ? linkEvent(link) : undefined];
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

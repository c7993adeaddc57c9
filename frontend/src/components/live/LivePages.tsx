import type { Live } from '../../api';
import { formatCount } from '../../lib/format';

/** The pages visited in the live window as bars, by visitors. Paths are attacker-controlled: text only. */
export function LivePages({ pages }: { pages: Live['pages'] }) {
  if (pages.length === 0) {
    return (
      <p className="panel-placeholder muted" data-testid="live-pages-empty">
        No page views right now
      </p>
    );
  }
  const max = Math.max(1, ...pages.map((p) => p.visitors));
  return (
    <ul className="bar-list" data-testid="live-pages">
      {pages.map((page) => (
        <li key={page.path} className="bar-row" data-testid="live-page">
          <div className="bar-button live-bar">
            <span className="bar-fill" style={{ width: `${(page.visitors / max) * 100}%` }} aria-hidden="true" />
            <span className="bar-label" title={page.path}>
              {page.path || '(none)'}
            </span>
            <span className="bar-value" aria-label={`${formatCount(page.visitors)} visitors`}>
              {formatCount(page.visitors)}
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}

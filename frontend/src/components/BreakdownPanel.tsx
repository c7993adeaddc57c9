import { useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { breakdown, type AnalyticsQuery, type BreakdownRow } from '../api';
import { dimensionLabel, isPropertyKey } from '../lib/dimensions';
import { countryName, formatCount } from '../lib/format';
import { literalValue, referrerUrl, type Filter } from '../lib/view';
import { PanelState } from './PanelState';

export interface BreakdownSpec {
  dimension: string;
  title: string;
  /** How an empty value reads (e.g. a direct visit has no referrer). */
  emptyLabel?: string;
}

export interface BreakdownCardSpec {
  /** The URL parameter holding the chosen tab (`pages=exit_page`); absent = the first tab. */
  param: string;
  title: string;
  tabs: readonly BreakdownSpec[];
}

interface BreakdownCardProps {
  spec: BreakdownCardSpec;
  query: AnalyticsQuery;
  onFilter: (filter: Filter) => void;
}

/**
 * A card of related breakdowns behind tabs (pages: top / entry / exit, ...); only the chosen tab is loaded,
 * and the choice is kept in the URL with the rest of the view.
 */
export function BreakdownCard({ spec, query, onFilter }: BreakdownCardProps) {
  const [params, setParams] = useSearchParams();
  const chosen = spec.tabs.find((t) => t.dimension === params.get(spec.param)) ?? spec.tabs[0];
  const choose = (dimension: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (dimension === spec.tabs[0].dimension) next.delete(spec.param);
      else next.set(spec.param, dimension);
      return next;
    });

  return (
    <section className="breakdown glass" aria-label={spec.title} data-testid={`breakdown-card-${spec.param}`}>
      <div className="breakdown-head">
        {spec.tabs.length > 1 ? (
          <div className="breakdown-tabs" role="tablist" aria-label={spec.title}>
            {spec.tabs.map((tab) => (
              <button
                key={tab.dimension}
                type="button"
                role="tab"
                aria-selected={tab === chosen}
                className={`breakdown-tab${tab === chosen ? ' active' : ''}`}
                data-testid={`tab-${tab.dimension}`}
                onClick={() => choose(tab.dimension)}
              >
                {tab.title}
              </button>
            ))}
          </div>
        ) : (
          <h3>{chosen.title}</h3>
        )}
        <span className="muted small">Visitors</span>
      </div>
      <BreakdownBars spec={chosen} query={query} onFilter={onFilter} />
    </section>
  );
}

/** The breakdown of one event property: the key is typed in and kept in the URL (`prop=plan`). */
export function PropertyBreakdownCard({ query, onFilter }: { query: AnalyticsQuery; onFilter: (filter: Filter) => void }) {
  const id = useId();
  const [params, setParams] = useSearchParams();
  const key = params.get('prop') ?? '';
  const [draft, setDraft] = useState(key);
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    const next = draft.trim();
    if (next && !isPropertyKey(next)) {
      setError('A property key is 1–128 characters without ":".');
      return;
    }
    setError(null);
    setParams((current) => {
      const p = new URLSearchParams(current);
      if (next) p.set('prop', next);
      else p.delete('prop');
      return p;
    });
  }

  return (
    <section className="breakdown glass" aria-labelledby={`${id}-title`} data-testid="breakdown-card-prop">
      <div className="breakdown-head">
        <h3 id={`${id}-title`}>Event properties</h3>
        <span className="muted small">Visitors</span>
      </div>
      <form className="prop-form" onSubmit={submit}>
        <label htmlFor={`${id}-key`} className="sr-only">
          Property key
        </label>
        <input
          id={`${id}-key`}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="property key, e.g. plan"
          data-testid="prop-key"
        />
        <button type="submit" className="button ghost small" data-testid="prop-show">
          Show
        </button>
        {error && (
          <span className="text-error small" role="alert">
            {error}
          </span>
        )}
      </form>
      {key && isPropertyKey(key) ? (
        <BreakdownBars spec={{ dimension: `prop:${key}`, title: `Property ${key}`, emptyLabel: '(not set)' }} query={query} onFilter={onFilter} />
      ) : (
        <p className="panel-placeholder muted">Type a property key your events carry (e.g. plan, button) to break it down.</p>
      )}
    </section>
  );
}

/**
 * The top values of one dimension as horizontal bars (by visitors). A row is a button: clicking it adds
 * `<dimension>:is:<value>` to the view's filters. Values are attacker-controlled and rendered as text only.
 */
export function BreakdownBars({ spec, query, onFilter }: { spec: BreakdownSpec; query: AnalyticsQuery; onFilter: (filter: Filter) => void }) {
  const params = { ...query, dimension: spec.dimension, limit: 10 };
  const result = useQuery({
    queryKey: ['breakdown', params],
    queryFn: ({ signal }) => breakdown(params, signal),
  });
  const rows = result.data?.rows ?? [];
  const max = Math.max(1, ...rows.map((r) => r.visitors));
  const testId = `breakdown-${spec.dimension}`;

  return (
    <div data-testid={testId}>
      <PanelState
        testId={testId}
        pending={result.isPending}
        error={result.isError ? result.error : null}
        empty={rows.length === 0}
        onRetry={() => void result.refetch()}
      >
        <ul className="bar-list" aria-label={spec.title}>
          {rows.map((row) => (
            <BarRow key={row.value} row={row} max={max} spec={spec} onFilter={onFilter} />
          ))}
        </ul>
      </PanelState>
    </div>
  );
}

function BarRow({ row, max, spec, onFilter }: { row: BreakdownRow; max: number; spec: BreakdownSpec; onFilter: (f: Filter) => void }) {
  const label = row.value === '' ? (spec.emptyLabel ?? '(none)') : spec.dimension === 'country' ? countryName(row.value) : row.value;
  const link = spec.dimension === 'referrer' && row.value ? referrerUrl(row.value) : null;
  return (
    <li className="bar-row">
      <button
        type="button"
        className="bar-button"
        data-testid="breakdown-row"
        title={`Filter: ${dimensionLabel(spec.dimension)} is ${label}`}
        onClick={() => onFilter({ dimension: spec.dimension, op: 'is', value: literalValue(row.value) })}
      >
        <span className="bar-fill" style={{ width: `${(row.visitors / max) * 100}%` }} aria-hidden="true" />
        <span className="bar-label">{label}</span>
        <span className="bar-value">{formatCount(row.visitors)}</span>
      </button>
      {link && (
        <a className="bar-link" href={link} target="_blank" rel="noopener noreferrer nofollow" aria-label={`Open ${row.value}`}>
          ↗
        </a>
      )}
    </li>
  );
}

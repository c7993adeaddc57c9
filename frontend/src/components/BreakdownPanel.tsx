import { useQuery } from '@tanstack/react-query';
import { breakdown, type AnalyticsQuery, type BreakdownRow } from '../api';
import { formatCount } from '../lib/format';
import { literalValue, referrerUrl, type Filter } from '../lib/view';
import { PanelState } from './PanelState';

export interface BreakdownSpec {
  dimension: string;
  title: string;
  /** How an empty value reads (e.g. a direct visit has no referrer). */
  emptyLabel?: string;
}

interface BreakdownPanelProps {
  spec: BreakdownSpec;
  query: AnalyticsQuery;
  onFilter: (filter: Filter) => void;
}

/**
 * The top values of one dimension as horizontal bars (by visitors). A row is a button: clicking it adds
 * `<dimension>:is:<value>` to the view's filters. Values are attacker-controlled and rendered as text only.
 */
export function BreakdownPanel({ spec, query, onFilter }: BreakdownPanelProps) {
  const params = { ...query, dimension: spec.dimension, limit: 10 };
  const result = useQuery({
    queryKey: ['breakdown', params],
    queryFn: ({ signal }) => breakdown(params, signal),
  });
  const rows = result.data?.rows ?? [];
  const max = Math.max(1, ...rows.map((r) => r.visitors));
  const testId = `breakdown-${spec.dimension}`;

  return (
    <section className="breakdown glass" aria-labelledby={`${testId}-title`} data-testid={testId}>
      <div className="breakdown-head">
        <h3 id={`${testId}-title`}>{spec.title}</h3>
        <span className="muted small">Visitors</span>
      </div>
      <PanelState
        testId={testId}
        pending={result.isPending}
        error={result.isError ? result.error : null}
        empty={rows.length === 0}
        onRetry={() => void result.refetch()}
      >
        <ul className="bar-list">
          {rows.map((row) => (
            <BarRow key={row.value} row={row} max={max} spec={spec} onFilter={onFilter} />
          ))}
        </ul>
      </PanelState>
    </section>
  );
}

function BarRow({ row, max, spec, onFilter }: { row: BreakdownRow; max: number; spec: BreakdownSpec; onFilter: (f: Filter) => void }) {
  const label = row.value === '' ? (spec.emptyLabel ?? '(none)') : row.value;
  const link = spec.dimension === 'referrer' && row.value ? referrerUrl(row.value) : null;
  return (
    <li className="bar-row">
      <button
        type="button"
        className="bar-button"
        data-testid="breakdown-row"
        title={`Filter: ${spec.title.toLowerCase()} is ${label}`}
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

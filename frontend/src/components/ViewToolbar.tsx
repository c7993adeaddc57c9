import { useQuery } from '@tanstack/react-query';
import { useId, useMemo } from 'react';
import { sites } from '../api';
import { useAnalyticsView } from '../hooks/useAnalyticsView';
import { COMPARE_OPTIONS, rangeDates, type Compare } from '../lib/view';
import { FilterBar } from './FilterBar';
import { RangePicker } from './RangePicker';

function timeZones(current: string | null): string[] {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  let all: string[] = [];
  try {
    all = Intl.supportedValuesOf('timeZone');
  } catch {
    // an older runtime: UTC, the browser's zone and the view's own are still offered
  }
  const zones = new Set(['UTC', local, ...(current ? [current] : []), ...all]);
  return [...zones].filter(Boolean);
}

/**
 * The controls every analysis section shares, all kept in the URL (useAnalyticsView): date range (presets or
 * custom days), site, time zone, comparison (where the section shows one), and the filters.
 */
export function ViewToolbar({ title, showCompare = false }: { title: string; showCompare?: boolean }) {
  const id = useId();
  const { view, setRange, setCustomRange, setSite, setTimeZone, setCompare, addFilter, removeFilter, clearFilters } =
    useAnalyticsView();
  const siteList = useQuery({ queryKey: ['sites'], queryFn: ({ signal }) => sites(signal) });
  const zones = useMemo(() => timeZones(view.tz), [view.tz]);
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const current = rangeDates(view.range, new Date(), view.tz, view.custom);
  const siteNames = siteList.data?.sites.map((s) => s.site) ?? [];
  if (view.site && !siteNames.includes(view.site)) siteNames.unshift(view.site);

  return (
    <div className="view-toolbar">
      <div className="page-title view-bar">
        <h1>{title}</h1>
        <RangePicker view={view} current={current} onPreset={setRange} onCustom={setCustomRange} />
      </div>
      <div className="view-options">
        <label className="inline-field" htmlFor={`${id}-site`}>
          <span>Site</span>
          <select
            id={`${id}-site`}
            value={view.site ?? ''}
            onChange={(e) => setSite(e.target.value || null)}
            data-testid="site-select"
            aria-busy={siteList.isPending}
          >
            <option value="">All sites</option>
            {siteNames.map((site) => (
              <option key={site} value={site}>
                {site}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field" htmlFor={`${id}-tz`}>
          <span>Time zone</span>
          <select id={`${id}-tz`} value={view.tz ?? 'UTC'} onChange={(e) => setTimeZone(e.target.value)} data-testid="tz-select">
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone === local && zone !== 'UTC' ? `${zone} (this browser)` : zone}
              </option>
            ))}
          </select>
        </label>
        {showCompare && (
          <label className="inline-field" htmlFor={`${id}-compare`}>
            <span>Compare with</span>
            <select
              id={`${id}-compare`}
              value={view.compare}
              onChange={(e) => setCompare(e.target.value as Compare)}
              data-testid="compare-select"
            >
              {COMPARE_OPTIONS.map((option) => (
                <option key={option.id} value={option.id}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
        )}
        {siteList.isError && (
          <span className="muted small" role="status">
            Sites could not be listed: {siteList.error.message}
          </span>
        )}
      </div>
      <FilterBar filters={view.filters} onAdd={addFilter} onRemove={removeFilter} onClear={clearFilters} />
    </div>
  );
}

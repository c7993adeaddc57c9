import { useAnalyticsView } from '../hooks/useAnalyticsView';
import { FilterBar, RangePicker } from './AnalyticsPanels';

/**
 * The controls every analysis section shares (date range, filters; kept in the URL by useAnalyticsView):
 * the overview, funnels and retention render it at the top, under their title.
 */
export function ViewToolbar({ title }: { title: string }) {
  const { view, setRange, removeFilter, clearFilters } = useAnalyticsView();
  return (
    <>
      <div className="page-title view-bar">
        <h1>{title}</h1>
        <RangePicker value={view.range} onChange={setRange} />
      </div>
      <FilterBar filters={view.filters} onRemove={removeFilter} onClear={clearFilters} />
    </>
  );
}

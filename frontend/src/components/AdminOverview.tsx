import { useOverview } from '../hooks/useOverview';
import { OverviewPanel } from './OverviewPanel';
import { TrackerPlayground } from './TrackerPlayground';

/** The admin panel's home: the overview cards and the tracker playground. */
export function AdminOverview() {
  const overview = useOverview();

  return (
    <main className="dashboard">
      <div className="page-title">
        <h1>Admin panel</h1>
      </div>
      <OverviewPanel
        data={overview.data}
        error={overview.error}
        loading={overview.loading}
        updatedAt={overview.updatedAt}
        onRetry={overview.refresh}
      />
      <TrackerPlayground onAccepted={overview.burst} />
    </main>
  );
}

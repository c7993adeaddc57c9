import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { ApiError, sites } from '../../api';

interface SiteSelectProps {
  /** The chosen site, or null for every site. */
  value: string | null;
  onChange: (site: string | null) => void;
}

/** "All sites" plus each site the API knows (GET /api/analytics/sites). Site names are rendered as text. */
export function SiteSelect({ value, onChange }: SiteSelectProps) {
  const id = useId();
  // The same cache entry as the view toolbar's site list: sites come and go rarely.
  const result = useQuery({ queryKey: ['sites'], queryFn: ({ signal }) => sites(signal), staleTime: 5 * 60_000 });
  const names = (result.data?.sites ?? []).map((s) => s.site);
  // A site from a shared URL stays selectable even before (or without) the list.
  if (value && !names.includes(value)) names.unshift(value);

  return (
    <div className="live-site">
      <label htmlFor={id} className="muted small">
        Site
      </label>
      <select
        id={id}
        className="live-select"
        data-testid="live-site"
        value={value ?? ''}
        aria-busy={result.isPending}
        onChange={(e) => onChange(e.target.value || null)}
      >
        <option value="">All sites</option>
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      {result.isError && (
        <span className="text-error small" role="alert" data-testid="live-sites-error">
          Could not load the sites: {result.error instanceof ApiError ? result.error.message : 'Something went wrong.'}
        </span>
      )}
    </div>
  );
}

import { NavLink, useLocation } from 'react-router';
import type { Role } from '../api';

interface Section {
  to: string;
  label: string;
  /** The parameters of the current view carried along (a section's own ones, funnel steps..., stay behind). */
  keeps: readonly string[];
  adminOnly?: boolean;
}

/** What the analysis views share: range, site, time zone, comparison, filters. */
const VIEW_KEYS = ['range', 'from', 'to', 'site', 'tz', 'compare', 'filter'];

export const ADMIN_SECTIONS: readonly Section[] = [
  { to: '/admin', label: 'Overview', keeps: VIEW_KEYS },
  { to: '/admin/funnels', label: 'Funnels', keeps: VIEW_KEYS },
  { to: '/admin/retention', label: 'Retention', keeps: VIEW_KEYS },
  { to: '/admin/live', label: 'Live', keeps: ['site'] },
  { to: '/admin/users', label: 'Users', keeps: [], adminOnly: true },
  { to: '/admin/account', label: 'Account', keeps: [] },
];

function carried(search: string, keys: readonly string[]): string {
  const current = new URLSearchParams(search);
  const next = new URLSearchParams();
  for (const [key, value] of current) if (keys.includes(key)) next.append(key, value);
  const text = next.toString();
  return text ? `?${text}` : '';
}

/** The admin panel's sections; "Users" only for an admin (the API refuses it to others anyway). */
export function AdminNav({ role }: { role: Role | null }) {
  const location = useLocation();
  return (
    <nav className="admin-nav glass" aria-label="Admin panel">
      {ADMIN_SECTIONS.filter((s) => !s.adminOnly || role === 'admin').map((section) => (
        <NavLink
          key={section.to}
          to={section.to + carried(location.search, section.keeps)}
          end
          className={({ isActive }) => `admin-nav-link${isActive ? ' active' : ''}`}
          data-testid={`nav-${section.label.toLowerCase()}`}
        >
          {section.label}
        </NavLink>
      ))}
    </nav>
  );
}

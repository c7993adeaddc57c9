import { NavLink, useLocation } from 'react-router';
import type { Role } from '../api';

interface Section {
  to: string;
  label: string;
  /** Carries the view's query string (range, site, filters, ...) along: the analysis views share it. */
  keepsView: boolean;
  adminOnly?: boolean;
}

export const ADMIN_SECTIONS: readonly Section[] = [
  { to: '/admin', label: 'Overview', keepsView: true },
  { to: '/admin/funnels', label: 'Funnels', keepsView: true },
  { to: '/admin/retention', label: 'Retention', keepsView: true },
  { to: '/admin/live', label: 'Live', keepsView: false },
  { to: '/admin/users', label: 'Users', keepsView: false, adminOnly: true },
  { to: '/admin/account', label: 'Account', keepsView: false },
];

/** The view keys the analysis sections share; a section's own parameters (funnel steps, ...) stay behind. */
const SHARED_KEYS = ['range', 'from', 'to', 'site', 'tz', 'compare', 'filter'];

function sharedSearch(search: string): string {
  const current = new URLSearchParams(search);
  const next = new URLSearchParams();
  for (const [key, value] of current) if (SHARED_KEYS.includes(key)) next.append(key, value);
  const text = next.toString();
  return text ? `?${text}` : '';
}

/** The admin panel's sections; "Users" only for an admin (the API refuses it to others anyway). */
export function AdminNav({ role }: { role: Role | null }) {
  const location = useLocation();
  const search = sharedSearch(location.search);
  return (
    <nav className="admin-nav glass" aria-label="Admin panel">
      {ADMIN_SECTIONS.filter((s) => !s.adminOnly || role === 'admin').map((section) => (
        <NavLink
          key={section.to}
          to={section.keepsView ? section.to + search : section.to}
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

import { useRef, useState, type KeyboardEvent } from 'react';

const TABS = [
  {
    id: 'product',
    label: 'Product',
    title: 'Roadmaps that stay honest',
    points: ['Now / next / later lanes fed by real progress', 'Customer requests linked to every card', 'Share a read-only roadmap with one link'],
  },
  {
    id: 'engineering',
    label: 'Engineering',
    title: 'Sprints without the spreadsheet',
    points: ['Pull requests move cards on their own', 'Cycle time and review load per team', 'On-call rotations next to the sprint'],
  },
  {
    id: 'marketing',
    label: 'Marketing',
    title: 'Launches everyone can see coming',
    points: ['Launch calendars tied to release dates', 'Briefs, assets and approvals in one place', 'Automatic reminders before each milestone'],
  },
] as const;

type TabId = (typeof TABS)[number]['id'];

/** An accessible tab list (arrow keys move between tabs); each tab change is tracked. */
export function FeatureTabs() {
  const [active, setActive] = useState<TabId>('product');
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const current = TABS.find((tab) => tab.id === active) ?? TABS[0];

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    event.preventDefault();
    const index = TABS.findIndex((tab) => tab.id === active);
    const next = TABS[(index + (event.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length];
    setActive(next.id);
    refs.current[next.id]?.focus();
  }

  return (
    <section id="use-cases" className="site-section" aria-labelledby="use-cases-title">
      <div className="section-head">
        <h2 id="use-cases-title">Built for every team</h2>
      </div>
      <div className="tabs glass">
        <div role="tablist" aria-label="Teams" className="tab-list" onKeyDown={onKeyDown}>
          {TABS.map((tab) => (
            <button
              key={tab.id}
              ref={(element) => {
                refs.current[tab.id] = element;
              }}
              type="button"
              role="tab"
              id={`tab-${tab.id}`}
              aria-selected={tab.id === active}
              aria-controls={`panel-${tab.id}`}
              tabIndex={tab.id === active ? 0 : -1}
              className="tab"
              data-track="tab_select"
              data-track-tab={tab.id}
              data-testid={`tab-${tab.id}`}
              onClick={() => setActive(tab.id)}
            >
              {tab.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`panel-${current.id}`} aria-labelledby={`tab-${current.id}`} className="tab-panel">
          <h3>{current.title}</h3>
          <ul>
            {current.points.map((point) => (
              <li key={point}>{point}</li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}

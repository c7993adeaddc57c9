import { useState } from 'react';
import { Link } from 'react-router';
import { useDemoTracker } from '../../hooks/useDemoTracker';
import { DEMO_PRODUCT_NAME, DEMO_SITE, PRODUCT_NAME } from '../../lib/brand';
import { FeatureTabs } from './FeatureTabs';
import { Pricing, type PlanId } from './Pricing';
import { SignupFlow } from './SignupFlow';

const FEATURES = [
  { id: 'boards', icon: '▦', title: 'Live boards', text: 'Plan sprints on boards that update for everyone the moment a card moves.', more: 'Swimlanes, WIP limits and saved views per team.' },
  { id: 'automations', icon: '⚡', title: 'Automations', text: 'Route bugs, nudge reviewers and close stale tasks without lifting a finger.', more: '40+ triggers, from pull requests to calendar events.' },
  { id: 'insights', icon: '◔', title: 'Insights', text: 'Cycle time, throughput and focus time, charted for every team.', more: 'Weekly digests land in your inbox every Monday.' },
  { id: 'integrations', icon: '⇄', title: 'Integrations', text: 'GitHub, Slack, Figma and 80 more tools, connected in two clicks.', more: 'Webhooks and a typed API for everything else.' },
] as const;

const FAQ = [
  { id: 'trial', q: 'How long is the free trial?', a: '14 days with every Pro feature. No credit card needed.' },
  { id: 'cancel', q: 'Can I cancel at any time?', a: 'Yes. Your workspace stays readable for 30 days after you cancel.' },
  { id: 'security', q: 'Where is my data stored?', a: 'In the EU or the US, your choice, encrypted at rest and in transit.' },
] as const;

const NAV = [
  { id: 'features', label: 'Features' },
  { id: 'use-cases', label: 'Use cases' },
  { id: 'pricing', label: 'Pricing' },
  { id: 'signup', label: 'Sign up' },
] as const;

function scrollTo(id: string) {
  const element = document.getElementById(id);
  if (element && typeof element.scrollIntoView === 'function') element.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

/** The public product page (`/`): no sign-in, every click tracked into the demo site. */
export function DashboardPage() {
  useDemoTracker(DEMO_SITE);
  const [plan, setPlan] = useState<PlanId>('pro');
  const [openFeature, setOpenFeature] = useState<string | null>(null);
  const [demoOpen, setDemoOpen] = useState(false);

  function choosePlan(id: PlanId) {
    setPlan(id);
    scrollTo('signup');
  }

  return (
    <div className="site" data-testid="dashboard">
      <header className="site-nav glass">
        <a className="brand" href="#top" data-track="nav_click" data-track-target="top">
          <span className="brand-mark brand-mark-orbit" aria-hidden="true" />
          <span>{DEMO_PRODUCT_NAME}</span>
        </a>
        <nav aria-label="Sections" className="site-links">
          {NAV.map((item) => (
            <a key={item.id} href={`#${item.id}`} data-track="nav_click" data-track-target={item.id}>
              {item.label}
            </a>
          ))}
        </nav>
        <Link to="/login" className="button small" data-track="admin_panel_open" data-testid="admin-panel-link">
          Admin Panel
        </Link>
      </header>

      <main id="top">
        <section className="hero" aria-labelledby="hero-title">
          <span className="eyebrow">New · Orbit 3.0 with automations</span>
          <h1 id="hero-title" className="hero-title">
            Ship your roadmap, <span className="gradient-text">not status updates.</span>
          </h1>
          <p className="hero-text muted">
            {DEMO_PRODUCT_NAME} keeps product, design and engineering on one live plan: boards, automations and
            insights that answer “where are we?” before anyone asks.
          </p>
          <div className="hero-actions">
            <button
              type="button"
              className="button primary"
              data-track="cta_click"
              data-track-cta="start_trial"
              data-track-location="hero"
              data-testid="hero-start"
              onClick={() => scrollTo('signup')}
            >
              Start free trial
            </button>
            <button
              type="button"
              className="button"
              data-track="cta_click"
              data-track-cta="watch_demo"
              data-track-location="hero"
              aria-expanded={demoOpen}
              onClick={() => setDemoOpen((open) => !open)}
            >
              {demoOpen ? 'Hide demo' : 'Watch 2-min demo'}
            </button>
          </div>
          {demoOpen && (
            <div className="demo-player glass" role="region" aria-label="Product demo">
              <div className="demo-screen">
                <span className="demo-play" aria-hidden="true">
                  ▶
                </span>
                <span className="muted small">Orbit in two minutes · 2:04</span>
              </div>
            </div>
          )}
          <ul className="hero-proof muted small" aria-label="Trusted by">
            <li>Trusted by 4,000+ teams</li>
            <li>4.8 ★ on G2</li>
            <li>SOC 2 Type II</li>
          </ul>
        </section>

        <section id="features" className="site-section" aria-labelledby="features-title">
          <div className="section-head">
            <h2 id="features-title">Everything your team plans, in one orbit</h2>
            <p className="muted">Click a card to see more.</p>
          </div>
          <div className="feature-grid">
            {FEATURES.map((feature) => {
              const open = openFeature === feature.id;
              return (
                <button
                  key={feature.id}
                  type="button"
                  className={`glass feature-card${open ? ' open' : ''}`}
                  aria-expanded={open}
                  data-track="feature_card"
                  data-track-feature={feature.id}
                  data-testid={`feature-${feature.id}`}
                  onClick={() => setOpenFeature(open ? null : feature.id)}
                >
                  <span className="feature-icon" aria-hidden="true">
                    {feature.icon}
                  </span>
                  <span className="feature-title">{feature.title}</span>
                  <span className="muted small">{feature.text}</span>
                  {open && <span className="feature-more small">{feature.more}</span>}
                </button>
              );
            })}
          </div>
        </section>

        <FeatureTabs />

        <Pricing selected={plan} onChoose={choosePlan} />

        <SignupFlow plan={plan} onPlanChange={setPlan} />

        <section className="site-section" aria-labelledby="faq-title">
          <div className="section-head">
            <h2 id="faq-title">Questions, answered</h2>
          </div>
          <div className="faq">
            {FAQ.map((item) => (
              <details key={item.id} className="glass faq-item">
                <summary data-track="faq_open" data-track-question={item.id}>
                  {item.q}
                </summary>
                <p className="muted">{item.a}</p>
              </details>
            ))}
          </div>
        </section>
      </main>

      <footer className="site-footer muted small">
        <span>
          © 2026 {DEMO_PRODUCT_NAME} Labs · a demo product, measured with {PRODUCT_NAME} (site <code>{DEMO_SITE}</code>)
        </span>
        <span className="footer-links">
          {['Blog', 'Careers', 'Privacy', 'Status'].map((label) => (
            <a key={label} href="#top" data-track="footer_link" data-track-link={label.toLowerCase()}>
              {label}
            </a>
          ))}
        </span>
      </footer>
    </div>
  );
}

import { useState } from 'react';

export type PlanId = 'starter' | 'pro' | 'enterprise';
export type Billing = 'monthly' | 'yearly';

export const PLANS: readonly { id: PlanId; name: string; monthly: number | null; blurb: string }[] = [
  { id: 'starter', name: 'Starter', monthly: 0, blurb: 'For side projects and small teams' },
  { id: 'pro', name: 'Pro', monthly: 12, blurb: 'For growing product teams' },
  { id: 'enterprise', name: 'Enterprise', monthly: null, blurb: 'For large organisations' },
];

const ROWS: readonly { label: string; values: Record<PlanId, string> }[] = [
  { label: 'Members', values: { starter: 'Up to 5', pro: 'Unlimited', enterprise: 'Unlimited' } },
  { label: 'Boards', values: { starter: '3', pro: 'Unlimited', enterprise: 'Unlimited' } },
  { label: 'Automations / month', values: { starter: '100', pro: '10,000', enterprise: 'Unlimited' } },
  { label: 'Insights history', values: { starter: '7 days', pro: '1 year', enterprise: 'Forever' } },
  { label: 'SSO and audit log', values: { starter: '—', pro: '—', enterprise: '✓' } },
];

export function planName(id: PlanId): string {
  return PLANS.find((plan) => plan.id === id)?.name ?? id;
}

function price(monthly: number | null, billing: Billing): string {
  if (monthly === null) return 'Custom';
  if (monthly === 0) return 'Free';
  const perMonth = billing === 'yearly' ? Math.round(monthly * 0.8) : monthly;
  return `$${perMonth}`;
}

interface PricingProps {
  selected: PlanId;
  onChoose: (plan: PlanId) => void;
}

/** Plans, a billing switch and a comparison table; each choice is tracked. */
export function Pricing({ selected, onChoose }: PricingProps) {
  const [billing, setBilling] = useState<Billing>('monthly');

  return (
    <section id="pricing" className="site-section" aria-labelledby="pricing-title">
      <div className="section-head">
        <h2 id="pricing-title">Simple pricing</h2>
        <div className="segmented" role="group" aria-label="Billing period">
          {(['monthly', 'yearly'] as const).map((period) => (
            <button
              key={period}
              type="button"
              className={`segment${billing === period ? ' active' : ''}`}
              aria-pressed={billing === period}
              data-track="billing_toggle"
              data-track-billing={period}
              data-testid={`billing-${period}`}
              onClick={() => setBilling(period)}
            >
              {period === 'monthly' ? 'Monthly' : 'Yearly · save 20%'}
            </button>
          ))}
        </div>
      </div>

      <div className="pricing-grid">
        {PLANS.map((plan) => (
          <article key={plan.id} className={`glass price-card${plan.id === 'pro' ? ' featured' : ''}${selected === plan.id ? ' selected' : ''}`}>
            {plan.id === 'pro' && <span className="price-badge small">Most popular</span>}
            <h3>{plan.name}</h3>
            <p className="muted small">{plan.blurb}</p>
            <p className="price">
              <span className="price-value" data-testid={`price-${plan.id}`}>
                {price(plan.monthly, billing)}
              </span>
              {plan.monthly ? <span className="muted small"> / member / month{billing === 'yearly' ? ', billed yearly' : ''}</span> : null}
            </p>
            <button
              type="button"
              className={`button wide${plan.id === 'pro' ? ' primary' : ''}`}
              data-track="plan_selected"
              data-track-plan={plan.id}
              data-track-billing={billing}
              data-testid={`choose-${plan.id}`}
              onClick={() => onChoose(plan.id)}
            >
              {plan.id === 'enterprise' ? 'Talk to sales' : `Choose ${plan.name}`}
            </button>
          </article>
        ))}
      </div>

      <div className="table-wrap glass">
        <table className="compare-table">
          <caption className="muted small">Compare plans</caption>
          <thead>
            <tr>
              <th scope="col">Feature</th>
              {PLANS.map((plan) => (
                <th key={plan.id} scope="col">
                  {plan.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {ROWS.map((row) => (
              <tr key={row.label}>
                <th scope="row">{row.label}</th>
                {PLANS.map((plan) => (
                  <td key={plan.id}>{row.values[plan.id]}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

import { useId, useState, type FormEvent } from 'react';
import { track } from '../../tracker';
import { PLANS, planName, type PlanId } from './Pricing';

type Step = 'start' | 'details' | 'complete' | 'done';

const STEPS: readonly { id: Exclude<Step, 'done'>; label: string }[] = [
  { id: 'start', label: 'Start' },
  { id: 'details', label: 'Details' },
  { id: 'complete', label: 'Complete' },
];

const TEAM_SIZES = ['1-5', '6-20', '21-100', '100+'] as const;

interface SignupFlowProps {
  plan: PlanId;
  onPlanChange: (plan: PlanId) => void;
}

/**
 * A three-step sign-up (start → details → complete) whose steps send `signup_start`, `signup_details` and
 * `signup_complete`, so funnels have data. Names and e-mail addresses never leave the page: only the plan and
 * the team size go into the events.
 */
export function SignupFlow({ plan, onPlanChange }: SignupFlowProps) {
  const [step, setStep] = useState<Step>('start');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [teamSize, setTeamSize] = useState<string>(TEAM_SIZES[1]);
  const [error, setError] = useState<string | null>(null);
  const formId = useId();
  const stepIndex = step === 'done' ? STEPS.length : STEPS.findIndex((s) => s.id === step);

  function submitDetails(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!name.trim()) return setError('Please tell us your name.');
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) return setError('Please enter a valid work e-mail.');
    setError(null);
    // A form can be sent with the Enter key, so this step is tracked here rather than as a data-track click.
    track('signup_details', { plan, team_size: teamSize });
    setStep('complete');
  }

  function restart() {
    setStep('start');
    setName('');
    setEmail('');
    setError(null);
  }

  return (
    <section id="signup" className="site-section" aria-labelledby="signup-title">
      <div className="section-head">
        <h2 id="signup-title">Start your 14-day trial</h2>
        <p className="muted">Three quick steps, no credit card.</p>
      </div>
      <div className="glass signup-card" data-testid="signup" data-step={step}>
        <ol className="stepper" aria-label="Sign-up progress">
          {STEPS.map((s, index) => (
            <li
              key={s.id}
              className={index < stepIndex ? 'done' : index === stepIndex ? 'current' : ''}
              aria-current={index === stepIndex ? 'step' : undefined}
            >
              <span className="step-dot" aria-hidden="true">
                {index < stepIndex ? '✓' : index + 1}
              </span>
              {s.label}
            </li>
          ))}
        </ol>

        {step === 'start' && (
          <div className="signup-step">
            <h3>Pick a plan to try</h3>
            <div className="plan-picker" role="radiogroup" aria-label="Plan">
              {PLANS.map((p) => (
                <button
                  key={p.id}
                  type="button"
                  role="radio"
                  aria-checked={plan === p.id}
                  className={`plan-option${plan === p.id ? ' active' : ''}`}
                  data-track="signup_plan"
                  data-track-plan={p.id}
                  onClick={() => onPlanChange(p.id)}
                >
                  {p.name}
                </button>
              ))}
            </div>
            <button
              type="button"
              className="button primary"
              data-track="signup_start"
              data-track-plan={plan}
              data-testid="signup-start"
              onClick={() => setStep('details')}
            >
              Start free trial
            </button>
          </div>
        )}

        {step === 'details' && (
          <form id={formId} className="signup-step" onSubmit={submitDetails} noValidate>
            <h3>Tell us about you</h3>
            <div className="field-row">
              <label className="field">
                <span>Your name</span>
                <input name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} data-testid="signup-name" />
              </label>
              <label className="field">
                <span>Work e-mail</span>
                <input
                  name="email"
                  type="email"
                  autoComplete="email"
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                  data-testid="signup-email"
                />
              </label>
              <label className="field">
                <span>Team size</span>
                <select name="team_size" value={teamSize} onChange={(e) => setTeamSize(e.target.value)} data-testid="signup-team">
                  {TEAM_SIZES.map((size) => (
                    <option key={size} value={size}>
                      {size}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            {error && (
              <p className="form-error" role="alert" data-testid="signup-error">
                {error}
              </p>
            )}
            <div className="step-actions">
              <button type="button" className="button ghost" data-track="signup_back" data-track-from="details" onClick={() => setStep('start')}>
                Back
              </button>
              <button type="submit" className="button primary" data-testid="signup-details">
                Continue
              </button>
            </div>
          </form>
        )}

        {step === 'complete' && (
          <div className="signup-step">
            <h3>Review and create your workspace</h3>
            <dl className="summary">
              <div>
                <dt className="muted small">Plan</dt>
                <dd>{planName(plan)}</dd>
              </div>
              <div>
                <dt className="muted small">Name</dt>
                <dd>{name}</dd>
              </div>
              <div>
                <dt className="muted small">E-mail</dt>
                <dd>{email}</dd>
              </div>
              <div>
                <dt className="muted small">Team size</dt>
                <dd>{teamSize}</dd>
              </div>
            </dl>
            <div className="step-actions">
              <button type="button" className="button ghost" data-track="signup_back" data-track-from="complete" onClick={() => setStep('details')}>
                Back
              </button>
              <button
                type="button"
                className="button primary"
                data-track="signup_complete"
                data-track-plan={plan}
                data-track-team-size={teamSize}
                data-testid="signup-complete"
                onClick={() => setStep('done')}
              >
                Create workspace
              </button>
            </div>
          </div>
        )}

        {step === 'done' && (
          <div className="signup-step signup-done" role="status" data-testid="signup-done">
            <h3>Welcome aboard, {name.trim()}!</h3>
            <p className="muted">
              Your {planName(plan)} trial is ready. We sent a link to <strong>{email}</strong>.
            </p>
            <button type="button" className="button ghost" data-track="signup_restart" onClick={restart}>
              Sign up someone else
            </button>
          </div>
        )}
      </div>
    </section>
  );
}

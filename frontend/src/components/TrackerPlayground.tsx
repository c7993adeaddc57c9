import { useState } from 'react';
import { flush, getTracker, track } from '../tracker';

type SendStatus =
  | { kind: 'idle' }
  | { kind: 'sending' }
  | { kind: 'accepted'; accepted: number; at: number }
  | { kind: 'failed'; message: string };

const PLANS = [
  { id: 'starter', name: 'Starter', blurb: 'For side projects' },
  { id: 'pro', name: 'Pro', blurb: 'For growing products' },
  { id: 'enterprise', name: 'Enterprise', blurb: 'For large teams' },
] as const;

interface TrackerPlaygroundProps {
  /** Called once the collector accepted the test event. */
  onAccepted: () => void;
}

/** Elements a product team would tag: `data-track` clicks are picked up by the tracker on its own. */
export function TrackerPlayground({ onAccepted }: TrackerPlaygroundProps) {
  const [status, setStatus] = useState<SendStatus>({ kind: 'idle' });
  const [clicks, setClicks] = useState(0);
  const tracker = getTracker();

  async function sendTestEvent() {
    setStatus({ kind: 'sending' });
    const next = clicks + 1;
    setClicks(next);
    track('button_click', { button: 'send_test_event', source: 'dashboard', click: next });
    const result = await flush();
    if (result.accepted > 0) {
      setStatus({ kind: 'accepted', accepted: result.accepted, at: Date.now() });
      onAccepted();
    } else if (result.requeued > 0) {
      setStatus({ kind: 'failed', message: 'Could not reach the collector; the tracker will retry.' });
    } else {
      setStatus({ kind: 'failed', message: 'The collector rejected the event.' });
    }
  }

  return (
    <section className="panel" aria-labelledby="playground-title">
      <div className="panel-head">
        <div>
          <h2 id="playground-title">Try the tracker</h2>
          <p className="muted">
            Elements with <code>data-track</code> are tracked on click; events arrive in the overview within seconds.
          </p>
        </div>
      </div>

      <div className="playground-grid">
        <div className="glass action-card">
          <h3>Send a test event</h3>
          <p className="muted small">
            Tracks <code>button_click</code> and sends it right away.
          </p>
          <button
            type="button"
            className="button primary"
            data-testid="send-event"
            onClick={() => void sendTestEvent()}
            disabled={status.kind === 'sending'}
          >
            {status.kind === 'sending' ? 'Sending…' : 'Send test event'}
          </button>
          <p className="send-status small" aria-live="polite" data-testid="send-status">
            {status.kind === 'accepted' &&
              `Accepted at ${new Date(status.at).toLocaleTimeString()} — the overview updates in a few seconds.`}
            {status.kind === 'failed' && <span className="text-error">{status.message}</span>}
          </p>
        </div>

        {PLANS.map((plan) => (
          <button
            key={plan.id}
            type="button"
            className="glass plan-card"
            data-track="plan_selected"
            data-track-plan={plan.id}
            data-track-source="dashboard"
          >
            <span className="plan-name">{plan.name}</span>
            <span className="muted small">{plan.blurb}</span>
            <span className="plan-hint small">
              <code>plan_selected</code> · plan={plan.id}
            </span>
          </button>
        ))}
      </div>

      <dl className="tracker-ids small">
        <div>
          <dt>anonymous_id</dt>
          <dd>
            <code>{tracker.anonymousId}</code>
          </dd>
        </div>
        <div>
          <dt>site</dt>
          <dd>
            <code>{tracker.config.site}</code>
          </dd>
        </div>
      </dl>
    </section>
  );
}

import { useState } from 'react';
import { Link } from 'react-router';
import { Tracker } from '../tracker';
import { DEMO_SITE } from '../lib/brand';

type SendStatus =
  | { kind: 'idle' }
  | { kind: 'sending' }
  | { kind: 'accepted'; accepted: number; at: number }
  | { kind: 'failed'; message: string };

/** The site test events go to: apart from the demo, so they never blur its numbers. */
export const PLAYGROUND_SITE = 'playground';

interface TrackerPlaygroundProps {
  /** Called once the collector accepted the test event. */
  onAccepted: () => void;
}

/**
 * Sends a test event on request, with a tracker of its own that listens to nothing: the admin panel does not
 * track its own clicks or page views into the sites it analyses.
 */
export function TrackerPlayground({ onAccepted }: TrackerPlaygroundProps) {
  const [status, setStatus] = useState<SendStatus>({ kind: 'idle' });
  const [clicks, setClicks] = useState(0);
  const [tracker] = useState(() => new Tracker({ site: PLAYGROUND_SITE, autoTrackClicks: false }));

  async function sendTestEvent() {
    setStatus({ kind: 'sending' });
    const next = clicks + 1;
    setClicks(next);
    tracker.track('button_click', { button: 'send_test_event', source: 'admin_playground', click: next });
    const result = await tracker.flush();
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
            Every click on the public <Link to="/">dashboard</Link> is tracked into site <code>{DEMO_SITE}</code>; events
            arrive in the overview within seconds.
          </p>
        </div>
      </div>

      <div className="playground-grid">
        <div className="glass action-card">
          <h3>Send a test event</h3>
          <p className="muted small">
            Sends <code>button_click</code> to site <code>{PLAYGROUND_SITE}</code> right away.
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

        <div className="glass action-card">
          <h3>Tag your own elements</h3>
          <p className="muted small">
            A click on an element with <code>data-track</code> becomes an event; its <code>data-track-*</code> attributes
            become properties.
          </p>
          <pre className="snippet small">
            <code>{'<button data-track="plan_selected"\n        data-track-plan="pro">Pro</button>'}</code>
          </pre>
        </div>
      </div>

      <dl className="tracker-ids small">
        <div>
          <dt>anonymous_id</dt>
          <dd>
            <code>{tracker.anonymousId}</code>
          </dd>
        </div>
        <div>
          <dt>test site</dt>
          <dd>
            <code>{tracker.config.site}</code>
          </dd>
        </div>
      </dl>
    </section>
  );
}

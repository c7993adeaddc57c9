import { useId, useRef, useState, type FormEvent } from 'react';
import { flushSync } from 'react-dom';
import type { RetentionPeriod } from '../../api';
import { eventNameError } from '../funnel/funnelSteps';
import { SuggestionList } from '../funnel/SuggestionList';
import { MAX_PERIODS, PERIOD_OPTIONS, settingsKey, type RetentionSettings } from './retentionParams';

interface Draft extends RetentionSettings {
  /** Errors show once the user has tried to apply. */
  showErrors: boolean;
  /** The URL's settings this draft was last reconciled with. */
  source: string;
}

function initialDraft(settings: RetentionSettings): Draft {
  return { ...settings, showErrors: false, source: settingsKey(settings) };
}

interface RetentionControlsProps {
  /** The settings in the URL (what is shown). */
  settings: RetentionSettings;
  eventSuggestions: string[];
  onApply: (settings: RetentionSettings) => void;
}

const PERIOD_COUNTS = Array.from({ length: MAX_PERIODS }, (_, i) => i + 1);

/**
 * The retention query's own settings: the event that starts a cohort, the event that counts as a return, the
 * period and how many. Edited as a draft and written to the URL on "Show retention".
 */
export function RetentionControls({ settings, eventSuggestions, onApply }: RetentionControlsProps) {
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState(() => initialDraft(settings));

  // The URL changed from outside (back/forward, a shared link): start over from it, unless this draft applied it.
  const urlKey = settingsKey(settings);
  if (draft.source !== urlKey) {
    setDraft(settingsKey(draft) === urlKey ? { ...draft, source: urlKey } : initialDraft(settings));
  }

  const startError = eventNameError(draft.startEvent);
  const returnError = eventNameError(draft.returnEvent);
  const dirty = settingsKey(draft) !== urlKey;
  const eventsList = `${id}-events`;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (startError || returnError) {
      flushSync(() => setDraft((d) => ({ ...d, showErrors: true })));
      formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    setDraft((d) => ({ ...d, showErrors: false }));
    const { startEvent, returnEvent, period, periods } = draft;
    onApply({ startEvent: startEvent.trim(), returnEvent: returnEvent.trim(), period, periods });
  }

  function eventField(key: 'startEvent' | 'returnEvent', label: string, error: string | null, testId: string) {
    const shown = draft.showErrors ? error : null;
    return (
      <div className="field retention-field">
        <label htmlFor={`${id}-${key}`}>{label}</label>
        <input
          id={`${id}-${key}`}
          type="text"
          list={eventsList}
          value={draft[key]}
          onChange={(e) => setDraft((d) => ({ ...d, [key]: e.target.value }))}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={shown ? true : undefined}
          aria-describedby={shown ? `${id}-${key}-error` : undefined}
          data-testid={testId}
        />
        {shown && (
          <span id={`${id}-${key}-error`} className="funnel-step-error">
            {shown}
          </span>
        )}
      </div>
    );
  }

  return (
    <form
      ref={formRef}
      className="panel glass retention-controls"
      aria-labelledby={`${id}-title`}
      onSubmit={submit}
      noValidate
      data-testid="retention-controls"
    >
      <h2 id={`${id}-title`}>Cohorts</h2>
      <div className="retention-fields">
        {eventField('startEvent', 'Start event', startError, 'retention-start')}
        {eventField('returnEvent', 'Return event', returnError, 'retention-return')}
        <div className="field retention-field">
          <label htmlFor={`${id}-period`}>Period</label>
          <select
            id={`${id}-period`}
            value={draft.period}
            onChange={(e) => setDraft((d) => ({ ...d, period: e.target.value as RetentionPeriod }))}
            data-testid="retention-period"
          >
            {PERIOD_OPTIONS.map((option) => (
              <option key={option.id} value={option.id}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field retention-field">
          <label htmlFor={`${id}-periods`}>Periods</label>
          <select
            id={`${id}-periods`}
            value={draft.periods}
            onChange={(e) => setDraft((d) => ({ ...d, periods: Number(e.target.value) }))}
            data-testid="retention-periods"
          >
            {PERIOD_COUNTS.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="funnel-builder-actions">
        <button type="submit" className="button primary small" data-testid="retention-apply">
          Show retention
        </button>
        {dirty && (
          <span className="muted small" role="status">
            Changes not shown yet
          </span>
        )}
      </div>
      <SuggestionList id={eventsList} values={eventSuggestions} />
    </form>
  );
}

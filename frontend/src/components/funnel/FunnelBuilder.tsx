import { useId, useRef, useState, type FormEvent } from 'react';
import { flushSync } from 'react-dom';
import {
  formatStep,
  MAX_STEPS,
  MIN_STEPS,
  parseStep,
  stepError,
  WINDOW_OPTIONS,
  windowLabel,
  type FunnelDefinition,
  type StepInput,
  type StepKind,
} from './funnelSteps';
import { SuggestionList } from './SuggestionList';

interface DraftStep extends StepInput {
  /** Stable across moves, so React keeps each row's inputs (and focus) with its step. */
  id: number;
}

interface Draft {
  steps: DraftStep[];
  nextId: number;
  window: number;
  /** Errors show once the user has tried to apply, not while the first step is still being typed. */
  showErrors: boolean;
  /** The URL's funnel this draft was last reconciled with. */
  source: string;
}

function funnelKey(funnel: FunnelDefinition): string {
  return `${funnel.window}|${funnel.steps.join(',')}`;
}

/** The funnel a draft stands for; blank rows are no steps (the URL drops them too). */
function draftFunnel(draft: Draft): FunnelDefinition {
  return { steps: draft.steps.filter((s) => s.value.trim()).map(formatStep), window: draft.window };
}

function initialDraft(funnel: FunnelDefinition): Draft {
  const steps: StepInput[] = funnel.steps.slice(0, MAX_STEPS).map(parseStep);
  // No event names are guessed: empty rows to fill, with suggestions from the data.
  while (steps.length < MIN_STEPS) steps.push({ kind: 'event', value: '' });
  return {
    steps: steps.map((step, id) => ({ ...step, id })),
    nextId: steps.length,
    window: funnel.window,
    showErrors: false,
    source: funnelKey(funnel),
  };
}

interface FunnelBuilderProps {
  /** The funnel in the URL (what is shown). */
  funnel: FunnelDefinition;
  eventSuggestions: string[];
  pathSuggestions: string[];
  onApply: (funnel: FunnelDefinition) => void;
}

/**
 * The funnel's steps (2–10, each an event or a page view of a path, added, removed and reordered) and its
 * conversion window, edited as a draft and written to the URL on "Show funnel", so that typing a name does
 * not ask the API at every key.
 */
export function FunnelBuilder({ funnel, eventSuggestions, pathSuggestions, onApply }: FunnelBuilderProps) {
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState(() => initialDraft(funnel));

  // The URL changed from outside (back/forward, a shared link): start over from it, unless it is what this
  // draft just applied (then the rows, and the focus in them, stay as they are).
  const urlKey = funnelKey(funnel);
  if (draft.source !== urlKey) {
    setDraft(funnelKey(draftFunnel(draft)) === urlKey ? { ...draft, source: urlKey } : initialDraft(funnel));
  }

  const errors = draft.steps.map(stepError);
  const dirty = funnelKey(draftFunnel(draft)) !== urlKey;
  const windowOptions = WINDOW_OPTIONS.some((o) => o.seconds === draft.window)
    ? WINDOW_OPTIONS
    : [...WINDOW_OPTIONS, { seconds: draft.window, label: windowLabel(draft.window) }];

  /** Applies a change to the rows at once, then moves the focus into the row `focusId` (keyboard users stay put). */
  function change(steps: DraftStep[], focusId: number | null, selector = 'input') {
    flushSync(() => setDraft({ ...draft, steps, nextId: draft.nextId + 1 }));
    if (focusId === null) return;
    const row = formRef.current?.querySelector(`[data-step-id="${focusId}"]`);
    row?.querySelector<HTMLElement>(selector)?.focus();
  }

  const setStep = (stepId: number, patch: Partial<StepInput>) =>
    setDraft((d) => ({ ...d, steps: d.steps.map((s) => (s.id === stepId ? { ...s, ...patch } : s)) }));

  const add = () => change([...draft.steps, { id: draft.nextId, kind: 'event', value: '' }], draft.nextId);

  const remove = (stepId: number) => {
    const index = draft.steps.findIndex((s) => s.id === stepId);
    const steps = draft.steps.filter((s) => s.id !== stepId);
    change(steps, steps[Math.min(index, steps.length - 1)]?.id ?? null);
  };

  const move = (stepId: number, by: -1 | 1) => {
    const from = draft.steps.findIndex((s) => s.id === stepId);
    const to = from + by;
    if (from < 0 || to < 0 || to >= draft.steps.length) return;
    const steps = [...draft.steps];
    [steps[from], steps[to]] = [steps[to], steps[from]];
    // The same arrow keeps the focus; where the step reached an end (and the arrow is disabled), the other one.
    const reachedEnd = to === 0 || to === steps.length - 1;
    const arrow = by === -1 ? (reachedEnd ? 'down' : 'up') : reachedEnd ? 'up' : 'down';
    change(steps, stepId, `[data-move="${arrow}"]`);
  };

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const firstInvalid = errors.findIndex(Boolean);
    if (firstInvalid >= 0) {
      flushSync(() => setDraft((d) => ({ ...d, showErrors: true })));
      formRef.current?.querySelector<HTMLElement>(`[data-step-id="${draft.steps[firstInvalid].id}"] input`)?.focus();
      return;
    }
    setDraft((d) => ({ ...d, showErrors: false }));
    onApply(draftFunnel(draft));
  }

  const eventsList = `${id}-events`;
  const pathsList = `${id}-paths`;

  return (
    <form
      ref={formRef}
      className="panel glass funnel-builder"
      aria-labelledby={`${id}-title`}
      onSubmit={submit}
      noValidate
      data-testid="funnel-builder"
    >
      <div className="panel-head">
        <div>
          <h2 id={`${id}-title`}>Steps</h2>
          <p className="muted small">
            Visitors who did these in this order, each within the conversion window of the first. Suggestions come
            from the events and pages seen in this range.
          </p>
        </div>
      </div>
      <ol className="funnel-step-list">
        {draft.steps.map((step, index) => {
          const n = index + 1;
          const error = draft.showErrors ? errors[index] : null;
          const errorId = `${id}-error-${step.id}`;
          return (
            <li key={step.id} className="funnel-step-row" data-step-id={step.id} data-testid="funnel-step">
              <span className="step-dot" aria-hidden="true">
                {n}
              </span>
              <select
                className="funnel-step-kind"
                aria-label={`Step ${n} type`}
                value={step.kind}
                onChange={(e) => setStep(step.id, { kind: e.target.value as StepKind })}
                data-testid="step-kind"
              >
                <option value="event">Event</option>
                <option value="path">Page view</option>
              </select>
              <input
                className="funnel-step-value"
                type="text"
                aria-label={step.kind === 'event' ? `Step ${n} event name` : `Step ${n} page path`}
                placeholder={step.kind === 'event' ? 'Event name' : '/path'}
                list={step.kind === 'event' ? eventsList : pathsList}
                value={step.value}
                onChange={(e) => setStep(step.id, { value: e.target.value })}
                autoComplete="off"
                spellCheck={false}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? errorId : undefined}
                data-testid="step-value"
              />
              <span className="funnel-step-buttons">
                <button
                  type="button"
                  className="button ghost small icon-button"
                  aria-label={`Move step ${n} up`}
                  disabled={index === 0}
                  onClick={() => move(step.id, -1)}
                  data-move="up"
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="button ghost small icon-button"
                  aria-label={`Move step ${n} down`}
                  disabled={index === draft.steps.length - 1}
                  onClick={() => move(step.id, 1)}
                  data-move="down"
                >
                  ↓
                </button>
                <button
                  type="button"
                  className="button ghost small icon-button"
                  aria-label={`Remove step ${n}`}
                  title={draft.steps.length <= MIN_STEPS ? `A funnel has at least ${MIN_STEPS} steps` : undefined}
                  disabled={draft.steps.length <= MIN_STEPS}
                  onClick={() => remove(step.id)}
                  data-testid="step-remove"
                >
                  ×
                </button>
              </span>
              {error && (
                <p id={errorId} className="funnel-step-error" data-testid="step-error">
                  {error}
                </p>
              )}
            </li>
          );
        })}
      </ol>
      <div className="funnel-builder-actions">
        <button
          type="button"
          className="button ghost small"
          onClick={add}
          disabled={draft.steps.length >= MAX_STEPS}
          data-testid="step-add"
        >
          + Add step
        </button>
        <label className="funnel-window-field" htmlFor={`${id}-window`}>
          <span>Conversion window</span>
          <select
            id={`${id}-window`}
            value={draft.window}
            onChange={(e) => setDraft((d) => ({ ...d, window: Number(e.target.value) }))}
            data-testid="funnel-window"
          >
            {windowOptions.map((option) => (
              <option key={option.seconds} value={option.seconds}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button primary small" data-testid="funnel-apply">
          Show funnel
        </button>
        {dirty && (
          <span className="muted small" role="status">
            Changes not shown yet
          </span>
        )}
      </div>
      {draft.steps.length >= MAX_STEPS && <p className="muted small">A funnel has at most {MAX_STEPS} steps.</p>}
      <SuggestionList id={eventsList} values={eventSuggestions} />
      <SuggestionList id={pathsList} values={pathSuggestions} />
    </form>
  );
}

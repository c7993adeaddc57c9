import { parseStep } from './funnelSteps';

/** A step as a person reads it: its kind, then the event name or path (tracked data, rendered as text only). */
export function StepLabel({ step }: { step: string }) {
  const { kind, value } = parseStep(step);
  return (
    <>
      <span className="step-kind">{kind === 'path' ? 'Page' : 'Event'}</span> <span className="step-name">{value}</span>
    </>
  );
}

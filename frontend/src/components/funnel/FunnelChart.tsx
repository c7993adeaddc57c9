import type { FunnelStep } from '../../api';
import { formatCount, formatDuration, formatPercent } from '../../lib/format';
import { StepLabel } from './StepLabel';

function dropped(steps: FunnelStep[], index: number): number {
  return index === 0 ? 0 : Math.max(0, steps[index - 1].visitors - steps[index].visitors);
}

/**
 * A funnel's answer: one bar per step, its height the step's share of the first step's visitors, with the
 * conversion from the first step and the drop-off from the previous one; then the same figures (and the median
 * time between steps) as a table, which is what assistive technology reads.
 */
export function FunnelChart({ steps, windowText }: { steps: FunnelStep[]; windowText: string }) {
  const first = steps[0]?.visitors ?? 0;
  return (
    <figure className="chart funnel-figure" data-testid="funnel-chart">
      <ol className="funnel-bars" aria-hidden="true">
        {steps.map((step, index) => {
          const share = first > 0 ? Math.min(1, Math.max(0, step.visitors / first)) : 0;
          return (
            <li key={index} className="funnel-bar" data-testid="funnel-bar">
              <span className="funnel-bar-figures">
                <strong>{formatPercent(step.conversion)}</strong>
                <span className="muted small">{formatCount(step.visitors)} visitors</span>
              </span>
              <span className="funnel-bar-track">
                <span className="funnel-bar-fill" style={{ height: `${share * 100}%` }} />
              </span>
              <span className="funnel-bar-label" title={step.step}>
                {index + 1}. <StepLabel step={step.step} />
              </span>
              {index > 0 && (
                <span className="funnel-bar-drop small" data-testid="funnel-dropoff">
                  −{formatPercent(step.dropoff)} ({formatCount(dropped(steps, index))})
                </span>
              )}
            </li>
          );
        })}
      </ol>
      <div className="table-wrap">
        <table className="analysis-table" data-testid="funnel-table">
          <caption className="muted small">Visitors per step, in order within {windowText}</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Visitors</th>
              <th scope="col">Conversion</th>
              <th scope="col">Drop-off from previous</th>
              <th scope="col">Median time from previous</th>
            </tr>
          </thead>
          <tbody>
            {steps.map((step, index) => (
              <tr key={index}>
                <th scope="row">
                  {index + 1}. <StepLabel step={step.step} />
                </th>
                <td>{formatCount(step.visitors)}</td>
                <td>{formatPercent(step.conversion)}</td>
                <td>{index === 0 ? '–' : `${formatPercent(step.dropoff)} (${formatCount(dropped(steps, index))})`}</td>
                <td>
                  {index === 0 || step.median_seconds_from_previous === null
                    ? '–'
                    : formatDuration(step.median_seconds_from_previous)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

import type { Cohort, RetentionPeriod } from '../../api';
import { formatCount, formatPercent } from '../../lib/format';
import { averageRow, cell, cohortLabel, columnCount, heat, periodHeading, type RetentionCell } from './retentionMath';

function ShareCell({ value, testId }: { value: RetentionCell | null; testId: string }) {
  // A period that has not begun for this cohort: left blank, not 0%.
  if (value === null) {
    return <td className="retention-cell retention-future" title="This period has not begun yet" data-testid={`${testId}-blank`} />;
  }
  if (value.share === null) {
    return (
      <td className="retention-cell" data-testid={testId}>
        –
      </td>
    );
  }
  const counts = `${formatCount(value.retained)} of ${formatCount(value.size)} visitors`;
  return (
    <td className="retention-cell" style={{ backgroundColor: heat(value.share) }} title={counts} data-testid={testId}>
      <span className="retention-share">{formatPercent(value.share)}</span>
      <span className="sr-only"> ({counts})</span>
    </td>
  );
}

interface RetentionGridProps {
  cohorts: Cohort[];
  period: RetentionPeriod;
  periods: number;
  startEvent: string;
  returnEvent: string;
}

/**
 * The classic cohort grid: a row per cohort (its start and size), a column per period since the start, each
 * cell the share of the cohort that came back then, shaded by that share; on top the average of every period
 * over the cohorts that have reached it, weighted by their size.
 */
export function RetentionGrid({ cohorts, period, periods, startEvent, returnEvent }: RetentionGridProps) {
  const columns = Array.from({ length: columnCount(cohorts, periods) }, (_, i) => i);
  const average = averageRow(cohorts, columns.length);
  const total = cohorts.reduce((sum, c) => sum + c.size, 0);

  return (
    <div className="table-wrap retention-wrap">
      <table className="analysis-table retention-grid" data-testid="retention-grid">
        <caption className="muted small">
          Cohorts: visitors by the {period} of their “{startEvent}”; each cell the share of them who did “{returnEvent}”
          that many {period}s later
        </caption>
        <thead>
          <tr>
            <th scope="col">Cohort</th>
            <th scope="col">Visitors</th>
            {columns.map((i) => (
              <th key={i} scope="col">
                {periodHeading(period, i)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr className="retention-average" data-testid="retention-average">
            <th scope="row">Average</th>
            <td>{formatCount(total)}</td>
            {average.map((value, i) => (
              <ShareCell key={i} value={value} testId="retention-cell" />
            ))}
          </tr>
          {cohorts.map((cohort) => (
            <tr key={cohort.start} data-testid="retention-row">
              <th scope="row">{cohortLabel(cohort.start, period)}</th>
              <td>{formatCount(cohort.size)}</td>
              {columns.map((i) => (
                <ShareCell
                  key={i}
                  value={i < cohort.retained.length ? cell(cohort.retained[i], cohort.size) : null}
                  testId="retention-cell"
                />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

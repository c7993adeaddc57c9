import { AxisBottom, AxisLeft } from '@visx/axis';
import { Group } from '@visx/group';
import { scaleLinear, scaleTime } from '@visx/scale';
import { LinePath } from '@visx/shape';
import type { Timeseries } from '../api';
import { formatCount } from '../lib/format';

const WIDTH = 760;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 16, bottom: 28, left: 44 };

const SERIES = [
  { key: 'visitors', label: 'Visitors', colour: 'var(--accent-2)' },
  { key: 'pageviews', label: 'Page views', colour: 'var(--accent)' },
] as const;

/**
 * A bucket's start as read in the view's time zone (`t` carries that zone's offset); hours and minutes carry
 * the day too when the series spans more than one.
 */
function bucketLabel(t: string | Date, interval: Timeseries['interval'], timeZone: string, withDay = false): string {
  const date = typeof t === 'string' ? new Date(t) : t;
  if (Number.isNaN(date.getTime())) return String(t);
  if (interval === 'minute' || interval === 'hour') {
    const time = date.toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit', timeZone });
    return withDay ? `${date.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone })}, ${time}` : time;
  }
  if (interval === 'month') return date.toLocaleDateString('en-US', { month: 'short', year: 'numeric', timeZone });
  return date.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone });
}

interface TimeseriesChartProps {
  data: Timeseries;
  /** The compared period's series (same interval): its visitors are drawn dashed, bucket by bucket. */
  previous?: Timeseries | null;
  /** IANA zone of the view (default UTC). */
  timeZone?: string;
}

/**
 * Visitors and page views per bucket, as an SVG line chart (visx), with the compared period's visitors dashed
 * when there is one, and the figures as a table for screen readers.
 */
export function TimeseriesChart({ data, previous = null, timeZone = 'UTC' }: TimeseriesChartProps) {
  const points = data.points.map((p) => ({ ...p, date: new Date(p.t) }));
  // Bucket i of the compared period is drawn over bucket i of this one.
  const before = previous
    ? points.slice(0, previous.points.length).map((p, i) => ({ date: p.date, visitors: previous.points[i].visitors }))
    : [];
  const innerWidth = WIDTH - MARGIN.left - MARGIN.right;
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(1, ...points.flatMap((p) => [p.visitors, p.pageviews]), ...before.map((p) => p.visitors));
  const first = points[0]?.date ?? new Date(0);
  const last = points[points.length - 1]?.date ?? first;
  const x = scaleTime({ domain: [first, last.getTime() === first.getTime() ? new Date(first.getTime() + 1) : last], range: [0, innerWidth] });
  const y = scaleLinear({ domain: [0, max], range: [innerHeight, 0], nice: true });
  // Ticks on bucket starts (the view's midnights or hours), not on the browser's own: at most 6 of them.
  const every = Math.max(1, Math.ceil(points.length / 6));
  const xTicks = points.filter((_, i) => i % every === 0).map((p) => p.date);
  const spansDays =
    points.length > 1 && bucketLabel(first, 'day', timeZone) !== bucketLabel(last, 'day', timeZone);
  // Counts are whole: no 0.5 visitor ticks (they would read 0, 1, 1 once rounded).
  const ticks = y.ticks(4).filter((t) => Number.isInteger(t));

  return (
    <figure className="chart" data-testid="timeseries-chart">
      <div className="chart-legend" aria-hidden="true">
        {SERIES.map((s) => (
          <span key={s.key} className="legend-item">
            <span className="legend-swatch" style={{ background: s.colour }} />
            {s.label}
          </span>
        ))}
        {before.length > 0 && (
          <span className="legend-item">
            <span className="legend-swatch dashed" style={{ borderColor: 'var(--accent-2)' }} />
            Visitors, compared period
          </span>
        )}
      </div>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" role="img" aria-label="Visitors and page views over time">
        <Group left={MARGIN.left} top={MARGIN.top}>
          {ticks.map((tick) => (
            <line key={tick} x1={0} x2={innerWidth} y1={y(tick)} y2={y(tick)} className="chart-grid" />
          ))}
          {SERIES.map((s) => (
            <LinePath
              key={s.key}
              data={points}
              x={(p) => x(p.date)}
              y={(p) => y(p[s.key])}
              stroke={s.colour}
              strokeWidth={2}
              fill="none"
              data-series={s.key}
            />
          ))}
          {before.length > 0 && (
            <LinePath
              data={before}
              x={(p) => x(p.date)}
              y={(p) => y(p.visitors)}
              stroke="var(--accent-2)"
              strokeOpacity={0.55}
              strokeWidth={1.5}
              strokeDasharray="5 4"
              fill="none"
              data-compare="visitors"
            />
          )}
          <AxisLeft
            scale={y}
            tickValues={ticks}
            hideAxisLine
            hideTicks
            tickFormat={(v) => formatCount(Number(v))}
            tickLabelProps={{ fill: 'var(--muted)', fontSize: 11 }}
          />
          <AxisBottom
            top={innerHeight}
            scale={x}
            tickValues={xTicks}
            hideTicks
            stroke="var(--glass-border)"
            tickFormat={(v) => bucketLabel(v as Date, data.interval, timeZone)}
            tickLabelProps={{ fill: 'var(--muted)', fontSize: 11 }}
          />
        </Group>
      </svg>
      <table className="sr-only" data-testid="timeseries-table">
        <caption>Visitors and page views per {data.interval}</caption>
        <thead>
          <tr>
            <th scope="col">{data.interval}</th>
            <th scope="col">Visitors</th>
            <th scope="col">Page views</th>
            {before.length > 0 && <th scope="col">Visitors, compared period</th>}
          </tr>
        </thead>
        <tbody>
          {points.map((p, i) => (
            <tr key={p.t}>
              <th scope="row">{bucketLabel(p.t, data.interval, timeZone, spansDays)}</th>
              <td>{p.visitors}</td>
              <td>{p.pageviews}</td>
              {before.length > 0 && <td>{before[i]?.visitors ?? ''}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

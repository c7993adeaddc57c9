import { useId, useState, type FormEvent } from 'react';
import { RANGE_PRESETS, type PresetId, type View } from '../lib/view';

interface RangePickerProps {
  view: Pick<View, 'range' | 'custom'>;
  /** The default dates of the custom form (the current range's). */
  current: { from: string; to: string };
  onPreset: (range: PresetId) => void;
  onCustom: (from: string, to: string) => void;
}

/** Date presets, and a custom range of days (`to` inclusive) in the view's time zone. */
export function RangePicker({ view, current, onPreset, onCustom }: RangePickerProps) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(current.from);
  const [to, setTo] = useState(current.to);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!from || !to) return;
    onCustom(from, to);
    setOpen(false);
  }

  return (
    <div className="range-picker-wrap">
      <div className="segmented range-picker" role="group" aria-label="Date range">
        {RANGE_PRESETS.map((preset) => (
          <button
            key={preset.id}
            type="button"
            className={`segment${preset.id === view.range ? ' active' : ''}`}
            aria-pressed={preset.id === view.range}
            data-testid={`range-${preset.id}`}
            onClick={() => {
              setOpen(false);
              onPreset(preset.id);
            }}
          >
            {preset.label}
          </button>
        ))}
        <button
          type="button"
          className={`segment${view.range === 'custom' ? ' active' : ''}`}
          aria-pressed={view.range === 'custom'}
          aria-expanded={open}
          data-testid="range-custom"
          onClick={() => {
            setFrom(current.from);
            setTo(current.to);
            setOpen((o) => !o);
          }}
        >
          {view.range === 'custom' && view.custom ? `${view.custom.from} – ${view.custom.to}` : 'Custom'}
        </button>
      </div>
      {open && (
        <form className="range-form glass" onSubmit={submit} data-testid="range-form" aria-label="Custom date range">
          <label htmlFor={`${id}-from`}>From</label>
          <input id={`${id}-from`} type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} required data-testid="range-from" />
          <label htmlFor={`${id}-to`}>To</label>
          <input id={`${id}-to`} type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} required data-testid="range-to" />
          <button type="submit" className="button primary small" data-testid="range-apply">
            Apply
          </button>
        </form>
      )}
    </div>
  );
}

import { useId, useState, type FormEvent } from 'react';
import { DIMENSIONS, dimensionLabel, isPropertyKey } from '../lib/dimensions';
import { displayValue, OP_LABELS, type Filter, type FilterOp } from '../lib/view';

const OPS = Object.keys(OP_LABELS) as FilterOp[];
const PROPERTY = '__property';

interface FilterBarProps {
  filters: Filter[];
  onAdd: (filter: Filter) => void;
  onRemove: (filter: Filter) => void;
  onClear: () => void;
}

/** How a filter reads: "page is /pricing", "referrer is (none)". */
export function filterText(filter: Filter): string {
  return `${dimensionLabel(filter.dimension)} ${OP_LABELS[filter.op]} ${displayValue(filter.value) || '(none)'}`;
}

/**
 * The view's filters as removable chips, and a form to add one with any operator of the API: a dimension (or
 * an event property by key), an operator, a value (`|` between alternatives).
 */
export function FilterBar({ filters, onAdd, onRemove, onClear }: FilterBarProps) {
  const [adding, setAdding] = useState(false);
  return (
    <div className="filter-bar" data-testid="filter-bar" aria-label="Filters" role="group">
      {filters.map((filter) => {
        const key = `${filter.dimension}:${filter.op}:${filter.value}`;
        const text = filterText(filter);
        return (
          <span key={key} className="filter-chip" data-testid="filter-chip">
            <span className="filter-text">{text}</span>
            <button type="button" className="filter-remove" aria-label={`Remove filter ${text}`} onClick={() => onRemove(filter)}>
              ×
            </button>
          </span>
        );
      })}
      {adding ? (
        <AddFilterForm
          onAdd={(filter) => {
            onAdd(filter);
            setAdding(false);
          }}
          onCancel={() => setAdding(false)}
        />
      ) : (
        <button type="button" className="button ghost small" data-testid="add-filter" onClick={() => setAdding(true)}>
          + Filter
        </button>
      )}
      {filters.length > 0 && (
        <button type="button" className="button ghost small" data-testid="clear-filters" onClick={onClear}>
          Clear all
        </button>
      )}
    </div>
  );
}

function AddFilterForm({ onAdd, onCancel }: { onAdd: (filter: Filter) => void; onCancel: () => void }) {
  const id = useId();
  const [dimension, setDimension] = useState('path');
  const [propertyKey, setPropertyKey] = useState('');
  const [op, setOp] = useState<FilterOp>('is');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    let dim = dimension;
    if (dimension === PROPERTY) {
      const key = propertyKey.trim();
      if (!isPropertyKey(key)) {
        setError('A property key is 1–128 characters without ":".');
        return;
      }
      dim = `prop:${key}`;
    }
    if ((op === 'matches' || op === 'not_matches') && value === '') {
      setError('Type a regular expression.');
      return;
    }
    onAdd({ dimension: dim, op, value });
  }

  return (
    <form className="filter-form glass" onSubmit={submit} data-testid="filter-form" aria-label="Add a filter">
      <label className="sr-only" htmlFor={`${id}-dim`}>
        Dimension
      </label>
      <select id={`${id}-dim`} value={dimension} onChange={(e) => setDimension(e.target.value)} data-testid="filter-dimension">
        {DIMENSIONS.map((d) => (
          <option key={d.id} value={d.id}>
            {d.label}
          </option>
        ))}
        <option value={PROPERTY}>event property…</option>
      </select>
      {dimension === PROPERTY && (
        <>
          <label className="sr-only" htmlFor={`${id}-key`}>
            Property key
          </label>
          <input
            id={`${id}-key`}
            value={propertyKey}
            onChange={(e) => setPropertyKey(e.target.value)}
            placeholder="key, e.g. plan"
            data-testid="filter-property"
          />
        </>
      )}
      <label className="sr-only" htmlFor={`${id}-op`}>
        Operator
      </label>
      <select id={`${id}-op`} value={op} onChange={(e) => setOp(e.target.value as FilterOp)} data-testid="filter-op">
        {OPS.map((o) => (
          <option key={o} value={o}>
            {OP_LABELS[o]}
          </option>
        ))}
      </select>
      <label className="sr-only" htmlFor={`${id}-value`}>
        Value
      </label>
      <input
        id={`${id}-value`}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        placeholder={op === 'matches' || op === 'not_matches' ? 'regular expression (RE2)' : 'value; a|b for either'}
        data-testid="filter-value"
      />
      <button type="submit" className="button primary small" data-testid="filter-apply">
        Add
      </button>
      <button type="button" className="button ghost small" onClick={onCancel}>
        Cancel
      </button>
      {error && (
        <span className="text-error small" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

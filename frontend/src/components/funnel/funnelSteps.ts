import { formatDuration } from '../../lib/format';

// A funnel's definition as the API and the URL write it: `steps=signup,path:/pricing,purchase&window=86400`.
// A step is an event name, or `path:/x` for a page view of that path.

export const MIN_STEPS = 2;
export const MAX_STEPS = 10;
export const DEFAULT_WINDOW = 86400;

export const WINDOW_OPTIONS: readonly { seconds: number; label: string }[] = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '1 day' },
  { seconds: 7 * 86400, label: '7 days' },
  { seconds: 30 * 86400, label: '30 days' },
];

export type StepKind = 'event' | 'path';

export interface StepInput {
  kind: StepKind;
  /** The event name, or the page path (without the `path:` prefix). */
  value: string;
}

export interface FunnelDefinition {
  /** Steps as the API reads them (`signup`, `path:/pricing`). */
  steps: string[];
  window: number;
}

const PATH_PREFIX = 'path:';

// The collector's rule for event names (API contract), so a step that can never match is caught before asking.
const EVENT_NAME = /^[\p{L}\p{N} _.:/-]{1,128}$/u;

/** Reads one API step (`path:/x` or an event name) into the builder's form. */
export function parseStep(step: string): StepInput {
  return step.startsWith(PATH_PREFIX) ? { kind: 'path', value: step.slice(PATH_PREFIX.length) } : { kind: 'event', value: step };
}

export function formatStep(input: StepInput): string {
  const value = input.value.trim();
  return input.kind === 'path' ? `${PATH_PREFIX}${value}` : value;
}

/** Why a step cannot be sent, or null when it can. Commas separate steps in the API, so no step has one. */
export function stepError(input: StepInput): string | null {
  const value = input.value.trim();
  if (input.kind === 'path') {
    if (!value) return 'Enter a page path, e.g. /pricing.';
    if (!value.startsWith('/')) return 'A page path starts with /.';
    if (value.includes(',')) return 'A page path cannot contain a comma.';
    if (value.length > 2048) return 'A page path has at most 2048 characters.';
    return null;
  }
  // The API reads `path:/x` as a page view of /x, not as an event of that name.
  if (value.startsWith('path:')) return 'For a page view, choose "Page view" and type the path.';
  return eventNameError(value);
}

/** Why an event name cannot be one (the collector's rule), or null. */
export function eventNameError(name: string): string | null {
  const value = name.trim();
  if (!value) return 'Enter an event name.';
  if (!EVENT_NAME.test(value)) return 'An event name has 1–128 letters, digits, spaces or _ . : / -.';
  return null;
}

/** The steps of `steps=a,b,c`, blanks dropped (a trailing comma is no step). */
export function parseSteps(text: string | null): string[] {
  if (!text) return [];
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A window in seconds from the URL; anything but a positive whole number is the default. */
export function parseWindow(text: string | null): number {
  if (!text || !/^\d+$/.test(text)) return DEFAULT_WINDOW;
  const seconds = Number(text);
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : DEFAULT_WINDOW;
}

export function readFunnel(params: URLSearchParams): FunnelDefinition {
  return { steps: parseSteps(params.get('steps')), window: parseWindow(params.get('window')) };
}

/** Writes the funnel into query parameters, keeping every other parameter (the view's range, filters, ...). */
export function writeFunnel(funnel: FunnelDefinition, base: URLSearchParams): URLSearchParams {
  const params = new URLSearchParams(base);
  params.set('steps', funnel.steps.join(','));
  params.set('window', String(funnel.window));
  return params;
}

export type FunnelReadiness =
  | { ready: true }
  | { ready: false; reason: 'too-few' | 'too-many' }
  | { ready: false; reason: 'invalid'; index: number; message: string };

/** Whether the funnel in the URL can be asked for: 2–10 steps, each one valid. */
export function funnelReadiness(steps: string[]): FunnelReadiness {
  if (steps.length < MIN_STEPS) return { ready: false, reason: 'too-few' };
  if (steps.length > MAX_STEPS) return { ready: false, reason: 'too-many' };
  for (let index = 0; index < steps.length; index++) {
    const message = stepError(parseStep(steps[index]));
    if (message) return { ready: false, reason: 'invalid', index, message };
  }
  return { ready: true };
}

/** How a window reads, e.g. "1 day", or "2h 00m" for a window from a link that is no preset. */
export function windowLabel(seconds: number): string {
  return WINDOW_OPTIONS.find((o) => o.seconds === seconds)?.label ?? formatDuration(seconds);
}

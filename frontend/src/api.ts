// Typed client for the product's HTTP API (see the project's API contract).
// Every call goes to the same origin under /api; the frontend knows the system only through it.

export type Role = 'admin' | 'viewer';

export interface User {
  username: string;
  email: string;
  role: Role;
}

export interface Me extends User {
  created_at: string;
}

/** A user as GET /api/users lists it. */
export interface UserRecord extends User {
  created_at: string;
}

export interface NewUser {
  username: string;
  email: string;
  password: string;
  role: Role;
}

/** PATCH /api/users/{username}: any of these. */
export interface UserChange {
  email?: string;
  role?: Role;
  password?: string;
}

export interface LoginResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: User;
}

/** Common analytics query parameters (`from`/`to` are RFC 3339 or YYYY-MM-DD). */
export interface AnalyticsQuery {
  from?: string;
  to?: string;
  tz?: string;
  site?: string;
  event?: string;
  path?: string;
  referrer?: string;
  browser?: string;
  os?: string;
  device?: string;
  country?: string;
  /** The period the figures are compared with (default `previous`). */
  compare?: 'previous' | 'year' | 'none';
  /** Event property filters, sent as `prop.<key>=<value>`. */
  props?: Record<string, string>;
  /** Long-form filters, each `<dimension>:<op>:<value>`, sent as repeated `filter=` parameters. */
  filter?: string[];
}

/** One bucket of GET /api/analytics/timeseries (`t` is the bucket start in `tz`). */
export interface TimeseriesPoint {
  t: string;
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
}

export interface Timeseries {
  interval: 'minute' | 'hour' | 'day' | 'week' | 'month';
  points: TimeseriesPoint[];
}

/** One row of GET /api/analytics/breakdown. */
export interface BreakdownRow {
  value: string;
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  bounce_rate: number;
  visit_duration: number;
}

export interface Breakdown {
  dimension: string;
  rows: BreakdownRow[];
  total_visitors: number;
}

/** The headline figures of a period (GET /api/analytics/overview). */
export interface OverviewMetrics {
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  /** Page views per visit. */
  views_per_visit: number;
  /** Share of visits that bounced, 0..1. */
  bounce_rate: number;
  /** Mean visit duration in seconds. */
  visit_duration: number;
}

/** The figures of one period with its bounds (RFC 3339). */
export interface OverviewPeriod extends OverviewMetrics {
  from: string;
  to: string;
}

export interface Overview extends OverviewPeriod {
  /** True when a distinct count (visitors, visits) is approximate. */
  approximate: boolean;
  /** The compared period (`compare=previous|year`), or null (`compare=none`). */
  compare: OverviewPeriod | null;
}

/** An error answered by the API (`{"error":{"code","message","details"}}`) or met on the way. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown[];
  /** Seconds from a `Retry-After` header (429), when present. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, details: unknown[] = [], retryAfter: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

const TOKEN_KEY = 'analytics.auth';

interface StoredToken {
  token: string;
  /** Epoch milliseconds after which the token is no longer sent. */
  expiresAt: number;
}

type Listener = () => void;
const authListeners = new Set<Listener>();

/** Called whenever the stored token changes (login, logout, a 401 on an authenticated call). */
export function onAuthChange(listener: Listener): () => void {
  authListeners.add(listener);
  return () => {
    authListeners.delete(listener);
  };
}

function notifyAuthChange(): void {
  for (const listener of authListeners) listener();
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function getToken(now: number = Date.now()): string | null {
  const raw = storage()?.getItem(TOKEN_KEY);
  if (!raw) return null;
  try {
    const stored = JSON.parse(raw) as Partial<StoredToken>;
    if (typeof stored.token !== 'string' || typeof stored.expiresAt !== 'number') return null;
    if (stored.expiresAt <= now) return null;
    return stored.token;
  } catch {
    return null;
  }
}

export function isSignedIn(): boolean {
  return getToken() !== null;
}

function setToken(token: string, expiresInSeconds: number): void {
  // Without a usable expires_in, keep the token until the API answers 401.
  const lifetime = Number.isFinite(expiresInSeconds) ? Math.max(0, expiresInSeconds) : 365 * 24 * 3600;
  const value: StoredToken = { token, expiresAt: Date.now() + lifetime * 1000 };
  storage()?.setItem(TOKEN_KEY, JSON.stringify(value));
  notifyAuthChange();
}

/** Forgets the token (the API's tokens are stateless, so there is nothing to call). */
export function logout(): void {
  storage()?.removeItem(TOKEN_KEY);
  notifyAuthChange();
}

function paramValue(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return String(value);
  return null;
}

/**
 * Builds a query string; empty values are left out, `props` become `prop.<key>=<value>`, arrays become
 * repeated parameters.
 */
export function buildQuery(params: object = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params) as [string, unknown][]) {
    if (key === 'props' && value && typeof value === 'object') {
      for (const [prop, propValue] of Object.entries(value as Record<string, unknown>)) {
        const text = paramValue(propValue);
        if (text !== null) search.append(`prop.${prop}`, text);
      }
      continue;
    }
    if (Array.isArray(value)) {
      // Repeatable parameters (`filter`); an empty string is a real value here (e.g. `referrer:is:` = direct).
      for (const item of value as unknown[]) if (typeof item === 'string') search.append(key, item);
      continue;
    }
    const text = paramValue(value);
    if (text !== null) search.append(key, text);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Turns a non-2xx response into an ApiError, reading the API's error shape when it is there. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's HTML page, an empty body): fall through to a generic message
  }
  const error = (body as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object') {
    const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
    return new ApiError(
      response.status,
      typeof code === 'string' ? code : `http_${response.status}`,
      typeof message === 'string' && message ? message : defaultMessage(response.status),
      Array.isArray(details) ? details : [],
      retryAfter,
    );
  }
  return new ApiError(response.status, `http_${response.status}`, defaultMessage(response.status), [], retryAfter);
}

function defaultMessage(status: number): string {
  if (status === 401) return 'Your session has expired. Please sign in again.';
  if (status === 403) return 'You do not have access to this.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many requests. Please wait a moment and try again.';
  if (status >= 500) return `The server had a problem (HTTP ${status}). Please try again.`;
  return `Request failed (HTTP ${status}).`;
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Send the stored bearer token; a 401 then signs the user out. Default true. */
  auth?: boolean;
  /**
   * Whether a 401 signs the user out (default true). False where a 401 means a wrong password typed in a
   * form (POST /api/auth/password), not an ended session.
   */
  signOutOn401?: boolean;
  signal?: AbortSignal;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', body, auth = true, signOutOn401 = true, signal } = options;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth) {
    const token = getToken();
    if (!token) {
      logout();
      throw new ApiError(401, 'unauthenticated', 'Please sign in.');
    }
    headers.Authorization = `Bearer ${token}`;
  }

  let response: Response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }

  if (!response.ok) {
    const error = await errorFromResponse(response);
    if (auth && signOutOn401 && response.status === 401) logout();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(response.status, 'invalid_response', 'The server sent an answer that could not be read.');
  }
}

export async function login(username: string, password: string): Promise<LoginResponse> {
  const answer = await request<LoginResponse>('/auth/login', {
    method: 'POST',
    body: { username, password },
    auth: false,
  });
  setToken(answer.access_token, answer.expires_in);
  return answer;
}

export function me(signal?: AbortSignal): Promise<Me> {
  return request<Me>('/auth/me', { signal });
}

export function overview(params: AnalyticsQuery = {}, signal?: AbortSignal): Promise<Overview> {
  return request<Overview>(`/analytics/overview${buildQuery(params)}`, { signal });
}

export function timeseries(params: AnalyticsQuery & { interval?: Timeseries['interval'] } = {}, signal?: AbortSignal): Promise<Timeseries> {
  return request<Timeseries>(`/analytics/timeseries${buildQuery(params)}`, { signal });
}

export function breakdown(
  params: AnalyticsQuery & { dimension: string; limit?: number; offset?: number },
  signal?: AbortSignal,
): Promise<Breakdown> {
  return request<Breakdown>(`/analytics/breakdown${buildQuery(params)}`, { signal });
}

/** One step of GET /api/analytics/funnel. */
export interface FunnelStep {
  step: string;
  visitors: number;
  /** From the first step, 0..1. */
  conversion: number;
  /** Share of the previous step's visitors who did not reach this one, 0..1. */
  dropoff: number;
  median_seconds_from_previous: number | null;
}

export interface Funnel {
  steps: FunnelStep[];
}

/** `steps`: 2–10 event names, or `path:/x` for a page view of that path; `window` in seconds. */
export function funnel(params: AnalyticsQuery & { steps: string[]; window?: number }, signal?: AbortSignal): Promise<Funnel> {
  const { steps, ...rest } = params;
  return request<Funnel>(`/analytics/funnel${buildQuery({ ...rest, steps: steps.join(',') })}`, { signal });
}

export type RetentionPeriod = 'day' | 'week' | 'month';

export interface Cohort {
  /** The cohort's first day (local date, YYYY-MM-DD). */
  start: string;
  size: number;
  /** Visitors of the cohort seen again in period 0, 1, ... (only periods that have begun). */
  retained: number[];
}

export interface Retention {
  cohorts: Cohort[];
}

export function retention(
  params: AnalyticsQuery & { start_event?: string; return_event?: string; period?: RetentionPeriod; periods?: number },
  signal?: AbortSignal,
): Promise<Retention> {
  return request<Retention>(`/analytics/retention${buildQuery(params)}`, { signal });
}

export interface LiveEvent {
  event: string;
  site: string;
  timestamp: string;
  path: string;
  title: string;
  referrer: string;
  browser: string;
  os: string;
  device: string;
  country: string;
}

export interface Live {
  window_seconds: number;
  visitors: number;
  events: number;
  pages: { path: string; visitors: number }[];
  recent: LiveEvent[];
}

export function live(params: { site?: string } = {}, signal?: AbortSignal): Promise<Live> {
  return request<Live>(`/analytics/live${buildQuery(params)}`, { signal });
}

export interface SiteSummary {
  site: string;
  events: number;
  visitors_30d: number;
  last_seen: string | null;
}

export function sites(signal?: AbortSignal): Promise<{ sites: SiteSummary[] }> {
  return request<{ sites: SiteSummary[] }>('/analytics/sites', { signal });
}

export type ExportFormat = 'ndjson' | 'csv';

/**
 * GET /api/analytics/export (admin): the raw events of a query as a file. Returned as a Blob to save; an API
 * error (403, 413 over the buffered size, 503) is thrown as an ApiError.
 */
export async function exportEvents(params: AnalyticsQuery & { format: ExportFormat }, signal?: AbortSignal): Promise<Blob> {
  const token = getToken();
  if (!token) {
    logout();
    throw new ApiError(401, 'unauthenticated', 'Please sign in.');
  }
  let response: Response;
  try {
    response = await fetch(`/api/analytics/export${buildQuery(params)}`, {
      headers: { Authorization: `Bearer ${token}` },
      credentials: 'same-origin',
      signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }
  if (!response.ok) {
    const error = await errorFromResponse(response);
    if (response.status === 401) logout();
    throw error;
  }
  return response.blob();
}

/** POST /api/auth/password. It ends every session of the user, this one included: sign in again after it. */
export function changePassword(current_password: string, new_password: string): Promise<void> {
  return request<void>('/auth/password', {
    method: 'POST',
    body: { current_password, new_password },
    signOutOn401: false,
  });
}

export function listUsers(signal?: AbortSignal): Promise<{ users: UserRecord[] }> {
  return request<{ users: UserRecord[] }>('/users', { signal });
}

export function createUser(user: NewUser): Promise<{ user: UserRecord }> {
  return request<{ user: UserRecord }>('/users', { method: 'POST', body: user });
}

export function updateUser(username: string, change: UserChange): Promise<{ user: UserRecord }> {
  return request<{ user: UserRecord }>(`/users/${encodeURIComponent(username)}`, { method: 'PATCH', body: change });
}

export function deleteUser(username: string): Promise<void> {
  return request<void>(`/users/${encodeURIComponent(username)}`, { method: 'DELETE' });
}

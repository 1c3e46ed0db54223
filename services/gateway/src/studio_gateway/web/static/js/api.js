// The public API (/api/v1), JSON in and out. Errors are ApiError with the problem body.
//
//   const page = await api.get('/projects', { q: 'fox', limit: 24 });
//   const project = await api.post('/projects', { name });
//   await api.upload(`/projects/${id}/assets`, file, { onProgress: (sent, total) => … });
//
// In accounts mode a change made with the session cookie needs the session's CSRF token in
// X-CSRF-Token: it comes from sign-in/sign-up answers and GET /me (setCsrfToken), with the
// readable studio_csrf cookie as a fallback. A 401 calls the handler set by onUnauthorized
// (the app sends the person to the sign-in page).

import { randomHex } from './random-hex.js';

const BASE = '/api/v1';
const SAFE = new Set(['GET', 'HEAD']);
// A server that takes the connection and never answers (hung, or a network that dropped it
// without a word) would hold a request, and whatever waits on it (a busy Generate), for ever.
// The gateway gives up on a service behind it after 30 s (a 504); this is that and some slack.
let requestTimeoutMs = 40000;
// Each change this tab makes carries a request id of its own (X-Request-ID: the gateway keeps a
// well-formed one, and the events the change causes carry it as `request_id`), so a page can
// tell a live event that only echoes its own change, already shown, from one made elsewhere.
const OWN_REQUESTS_KEPT = 200;
const ownRequests = new Set();

let csrfToken = null;
let unauthorizedHandler = null;

export class ApiError extends Error {
  constructor(status, problem, retryAfter = null) {
    super(problem?.detail || problem?.title || `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem || { title: 'Error', detail: null, errors: [] };
    this.retryAfter = retryAfter;
  }
}

/** Whether the event with this `request_id` was caused by a change this tab made. */
export function causedHere(requestId) {
  return Boolean(requestId) && ownRequests.has(requestId);
}

function ownRequestId() {
  const id = `web-${randomHex(12)}`;
  ownRequests.add(id);
  if (ownRequests.size > OWN_REQUESTS_KEPT) ownRequests.delete(ownRequests.values().next().value);
  return id;
}

/** How long a request may go unanswered before it fails with a `TimeoutError`. */
export function setRequestTimeout(ms) {
  requestTimeoutMs = ms;
}

export function setCsrfToken(token) {
  csrfToken = token || null;
}

export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/** {field name (the last named `loc` element): message} from a problem body. A trailing
 * position (`input_asset_ids.1`, the second reference file) names an item of a list field: the
 * error belongs to that field, which is where a form shows it. */
export function fieldErrors(problem) {
  const out = {};
  for (const error of problem?.errors || []) {
    const loc = Array.isArray(error.loc) ? [...error.loc] : [];
    while (loc.length && typeof loc[loc.length - 1] === 'number') loc.pop();
    const name = loc.length ? String(loc[loc.length - 1]) : '';
    // Shown under the field's label as a sentence. Most arrive as one ("At most 4."); a few
    // services' own start in lowercase ("this model takes at most 1 image; ...").
    if (name && !(name in out)) out[name] = capitalised(error.msg || 'Invalid value');
  }
  return out;
}

function capitalised(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// The last sentence of a limit's detail when it names the wait (studio_gateway/limits/buckets.py).
const NAMED_WAIT = /\s*Try again in \d[^.]*\.?$/i;
// A wait a detail leaves open ("…, or try again later.", "then try again"), anywhere in it.
const OPEN_WAIT = /\b(try again)(?: later| in a while| in a moment| shortly| soon)?\b(?! in \d)/i;

/** A 429's detail with its wait said once, as Retry-After gives it: in place of an open one,
 * else as a last sentence (replacing one that names a wait already). The sign-in page counts
 * its wait down with it. */
export function withWait(detail, seconds) {
  const wait = `in ${waitText(seconds)}`;
  if (!NAMED_WAIT.test(detail) && OPEN_WAIT.test(detail)) return capitalised(detail.replace(OPEN_WAIT, `$1 ${wait}`));
  return `${capitalised(detail.replace(NAMED_WAIT, '') || 'Too many requests.')} Try again ${wait}.`;
}

/** A sentence for people from any error (the API's problem text when there is one). */
export function errorMessage(error) {
  if (error instanceof ApiError) {
    // The gateway's limits name the wait themselves ("… Try again in 8 s."), others leave it
    // open ("try again later"): either way the wait is said once, from Retry-After.
    // The active-generation limit frees up when a generation ends, not after a set time (the
    // panel says so when one does): no wait is named for it.
    const activeLimit = String(error.problem.type || '').endsWith('/too-many-active');
    if (error.status === 429 && error.retryAfter && !activeLimit) return withWait(error.problem.detail || '', error.retryAfter);
    const down = unavailableMessage(error);
    if (down) return down;
    return capitalised(error.problem.detail || error.problem.title || `Request failed (${error.status}).`);
  }
  if (error?.name === 'AbortError') return 'Cancelled.';
  if (error?.name === 'TimeoutError') return 'The studio’s server did not answer in time. Try again in a moment.';
  return 'The studio could not reach the server. Check the connection and try again.';
}

/** The API's own words when errorMessage() put them differently (for a tooltip), else null. */
export function errorDetail(error) {
  const detail = error instanceof ApiError ? error.problem.detail : null;
  return detail && capitalised(detail) !== errorMessage(error) ? detail : null;
}

// How the gateway names a service behind it that is down or slow ("the projects service is
// unavailable"): words for the developer, so people get a sentence about what they were doing.
const GATEWAY_SAYS = /^the (\w+) service (?:is unavailable|did not answer)/i;
const SERVICE_NAMES = {
  projects: 'project service',
  generation: 'generation service',
  assets: 'file service',
  catalog: 'model catalog',
  accounts: 'accounts service',
};
const UNAVAILABLE = new Set([502, 503, 504]);

function unavailableMessage(error) {
  if (!UNAVAILABLE.has(error.status)) return null;
  const detail = error.problem.detail || '';
  const service = GATEWAY_SAYS.exec(detail)?.[1]?.toLowerCase();
  // A service's own sentence ("The database is unavailable; try again shortly.") is kept.
  if (detail && !service) return null;
  const who = service ? `The studio’s ${SERVICE_NAMES[service] || `${service} service`}` : 'The studio’s server';
  const what = error.status === 504 ? 'is too slow to answer right now' : 'is not answering right now';
  const when = error.retryAfter ? `in ${waitText(error.retryAfter)}` : 'in a moment';
  return `${who} ${what}. Try again ${when}.`;
}

export function waitText(seconds) {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.ceil(s / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}

export const api = {
  get: (path, query, options) => request('GET', path, { ...options, query }),
  post: (path, body, options) => request('POST', path, { ...options, body }),
  patch: (path, body, options) => request('PATCH', path, { ...options, body }),
  put: (path, body, options) => request('PUT', path, { ...options, body }),
  del: (path, options) => request('DELETE', path, options),
  upload,
  url,
};

/** Absolute API path with a query string (for <img src>, downloads, EventSource). */
export function url(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value === null || value === undefined || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const qs = params.toString();
  return `${BASE}${path}${qs ? `?${qs}` : ''}`;
}

async function request(method, path, { query, body, headers, signal } = {}, retried = false) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, signal: timed(signal), credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (!SAFE.has(method)) {
    const token = currentCsrf();
    if (token) init.headers['X-CSRF-Token'] = token;
    init.headers['X-Request-ID'] = ownRequestId();
  }
  const response = await fetch(url(path, query), init);
  if (response.ok) {
    if (response.status === 204 || response.status === 202 && !hasBody(response)) return null;
    return hasBody(response) ? response.json() : null;
  }
  const error = await toError(response);
  if (error.status === 403 && !SAFE.has(method) && !retried && (await refreshCsrf())) {
    return request(method, path, { query, body, headers, signal }, true);
  }
  if (error.status === 401 && !path.startsWith('/auth/') && unauthorizedHandler) unauthorizedHandler(error);
  throw error;
}

function timed(signal) {
  const timeout = AbortSignal.timeout(requestTimeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function hasBody(response) {
  const type = response.headers.get('content-type') || '';
  return type.includes('json');
}

async function toError(response) {
  let problem = null;
  try {
    if (hasBody(response)) problem = await response.json();
  } catch {
    problem = null;
  }
  if (!problem || typeof problem !== 'object') {
    problem = { title: response.statusText || 'Error', detail: null, errors: [] };
  }
  problem.errors = Array.isArray(problem.errors) ? problem.errors : [];
  return new ApiError(response.status, problem, retryAfter(response.headers.get('retry-after')));
}

function retryAfter(header) {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

function currentCsrf() {
  if (csrfToken) return csrfToken;
  const match = document.cookie.match(/(?:^|;\s*)studio_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

/** The session may have changed in another tab: ask /me for the current token, once. */
async function refreshCsrf() {
  try {
    const response = await fetch(url('/me'), { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (!response.ok) return false;
    const me = await response.json();
    if (!me.csrf_token || me.csrf_token === csrfToken) return false;
    csrfToken = me.csrf_token;
    return true;
  } catch {
    return false;
  }
}

// Closing or reloading the tab while a file is on its way would lose it without a word: while
// any is, the browser asks first.
let uploading = 0;
function askBeforeLeaving(event) {
  event.preventDefault();
  event.returnValue = ''; // what older browsers still need to ask
}

function uploadStarted() {
  uploading += 1;
  if (uploading === 1) addEventListener('beforeunload', askBeforeLeaving);
}

function uploadEnded() {
  uploading -= 1;
  if (uploading === 0) removeEventListener('beforeunload', askBeforeLeaving);
}

/**
 * POST a file as multipart (field `file`), reporting progress: onProgress(sentBytes, totalBytes).
 * Resolves with the JSON answer; rejects with ApiError (or an AbortError through `signal`).
 */
function upload(path, file, { onProgress, signal, fields } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url(path));
    xhr.setRequestHeader('Accept', 'application/json');
    const token = currentCsrf();
    if (token) xhr.setRequestHeader('X-CSRF-Token', token);
    xhr.setRequestHeader('X-Request-ID', ownRequestId());
    if (onProgress) xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', () => {
      const body = xhr.responseText;
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(body ? JSON.parse(body) : null);
        } catch {
          resolve(null);
        }
        return;
      }
      let problem = null;
      try {
        problem = JSON.parse(body);
      } catch {
        problem = { title: xhr.statusText || 'Upload failed', detail: null, errors: [] };
      }
      problem.errors = Array.isArray(problem.errors) ? problem.errors : [];
      const error = new ApiError(xhr.status, problem, retryAfter(xhr.getResponseHeader('retry-after')));
      if (error.status === 401 && unauthorizedHandler) unauthorizedHandler(error);
      reject(error);
    });
    xhr.addEventListener('error', () => reject(new TypeError('Network error during upload')));
    xhr.addEventListener('abort', () => reject(new DOMException('Upload cancelled', 'AbortError')));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    const form = new FormData();
    for (const [key, value] of Object.entries(fields || {})) form.append(key, value);
    form.append('file', file, file.name);
    xhr.addEventListener('loadend', uploadEnded, { once: true });
    uploadStarted();
    xhr.send(form);
  });
}

// Who is using the studio: the auth mode and the signed-in user, from GET /api/v1/me.
//
//   session.mode          'local' | 'accounts'
//   session.user          { id, email, display_name } or null (accounts mode, signed out)
//   session.signedIn      true in local mode, or with a session
//   session.uploadMaxBytes the largest upload the server takes (null until /me has answered)
//   session.expired       true once the API refused a session the page still had (ended or
//                         revoked elsewhere), until the next sign-in: the sign-in page says why
//   session.onChange(fn)  called after sign-in, sign-up, sign-out

import { ApiError, api, setCsrfToken } from './api.js';

const listeners = new Set();

export const session = {
  mode: 'local',
  user: null,
  expired: false,
  uploadMaxBytes: null,
  get signedIn() {
    return this.mode === 'local' || this.user !== null;
  },
  get accounts() {
    return this.mode === 'accounts';
  },
  /** Ask the API; a 401 means accounts mode without a session. Network errors propagate. */
  async load() {
    try {
      const me = await api.get('/me');
      this.mode = me.auth_mode;
      this.user = me.user;
      this.uploadMaxBytes = me.upload_max_bytes ?? null;
      setCsrfToken(me.csrf_token);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      this.mode = 'accounts';
      this.user = null;
      setCsrfToken(null);
    }
    notify();
    return this;
  },
  /** After sign-in or sign-up: the answer's user and CSRF token. */
  started({ user, csrf_token: csrf }) {
    this.mode = 'accounts';
    this.user = user;
    this.expired = false;
    setCsrfToken(csrf);
    notify();
  },
  /** Signed out; `expired` when the API ended it, not the person (see session.expired). */
  ended({ expired = false } = {}) {
    this.user = null;
    this.expired = expired;
    setCsrfToken(null);
    notify();
  },
  onChange(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
};

function notify() {
  for (const fn of listeners) fn(session);
}

/**
 * Where to go after signing in: only a page of the studio, never another site. Judged on the
 * address as the browser resolves it: `/studio/..//elsewhere` reads as inside but leads out.
 */
export function safeNext(next) {
  if (!next) return '/studio';
  let url;
  try {
    url = new URL(next, location.origin);
  } catch {
    return '/studio';
  }
  const inside = url.origin === location.origin && /^\/studio(\/|$)/.test(url.pathname);
  return inside ? url.pathname + url.search + url.hash : '/studio';
}

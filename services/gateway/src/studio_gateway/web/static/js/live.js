// Live events: one EventSource per tab on /api/v1/events.
//
//   const off = live.on('generation.*', (data, name) => …);   // later: off()
//   live.on('reset', () => reload());   // the server could not replay what was missed
//   live.onStatus((online) => …);
//
// The browser reconnects by itself and resumes with Last-Event-ID, so missed events arrive
// first. If the stream is closed for good (e.g. the session ended), the session is checked (a
// 401 leads to sign-in) and a new one is opened after a pause; it cannot resume, so listeners
// get `reset` and reload what they show.

import { api } from './api.js';

const EVENT_NAMES = [
  'generation.requested', 'generation.started', 'generation.progress', 'generation.completed',
  'generation.failed', 'generation.cancelled', 'generation.deleted', 'asset.created', 'asset.deleted',
  'project.created', 'project.updated', 'project.deleted', 'template.created', 'template.updated',
  'template.deleted', 'reset',
];
const REOPEN_MS = [1000, 2000, 5000, 10000, 30000];

const handlers = new Map(); // pattern → Set<handler>
const statusHandlers = new Set();
let source = null;
let online = null;
let reopenTimer = null;
let attempts = 0;
let wanted = false;

export const live = {
  /** Open the stream (idempotent). */
  start() {
    wanted = true;
    if (!source) open(false);
  },
  /** Close it (sign-out). */
  stop() {
    wanted = false;
    clearTimeout(reopenTimer);
    if (source) source.close();
    source = null;
  },
  /** name: an event name, a prefix with `.*` (`generation.*`), or `*`. Returns unsubscribe. */
  on(name, handler) {
    if (!handlers.has(name)) handlers.set(name, new Set());
    handlers.get(name).add(handler);
    return () => handlers.get(name)?.delete(handler);
  },
  onStatus(handler) {
    statusHandlers.add(handler);
    if (online !== null) handler(online);
    return () => statusHandlers.delete(handler);
  },
  get online() {
    return online !== false;
  },
};

function open(isReopen) {
  source = new EventSource('/api/v1/events', { withCredentials: true });
  const mine = source;
  for (const name of EVENT_NAMES) {
    source.addEventListener(name, (event) => dispatch(name, event));
  }
  source.addEventListener('ready', () => {
    attempts = 0;
    setOnline(true);
    if (isReopen) dispatch('reset', { data: '{"reason":"reconnected"}' });
    isReopen = false;
  });
  // Online from the stream's first message (`ready`, or `reset` when it cannot resume), not from
  // its headers: the server listens for events only just before that message, and a page asks
  // again what is running when the stream comes online, so an event in between is not lost.
  source.addEventListener('reset', () => {
    attempts = 0;
    setOnline(true);
  });
  source.addEventListener('error', () => {
    if (mine !== source) return;
    setOnline(false);
    if (mine.readyState === EventSource.CLOSED) {
      source = null;
      if (!wanted) return;
      // Refused for good, perhaps because the session ended (logged out everywhere, the
      // server ends the stream): one question to the API lets its 401 send the page to sign-in.
      api.get('/me').catch(() => {});
      const delay = REOPEN_MS[Math.min(attempts, REOPEN_MS.length - 1)];
      attempts += 1;
      reopenTimer = setTimeout(() => { if (wanted && !source) open(true); }, delay);
    }
  });
}

function dispatch(name, event) {
  let data = null;
  try {
    data = event.data ? JSON.parse(event.data) : null;
  } catch {
    data = event.data;
  }
  const dot = name.indexOf('.');
  const patterns = [name, '*'];
  if (dot > 0) patterns.push(`${name.slice(0, dot)}.*`);
  for (const pattern of patterns) {
    for (const handler of handlers.get(pattern) || []) {
      try {
        handler(data, name);
      } catch (error) {
        console.error('live handler failed', name, error);
      }
    }
  }
}

function setOnline(value) {
  if (online === value) return;
  online = value;
  for (const handler of statusHandlers) handler(value);
}

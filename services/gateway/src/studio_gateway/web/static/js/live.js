// Live events: one EventSource per tab on /api/v1/events.
//
//   const off = live.on('generation.*', (data, name) => …);   // later: off()
//   live.on('reset', () => reload());   // the server could not replay what was missed
//   live.onStatus((online) => …);
//
// The browser reconnects by itself and resumes with Last-Event-ID, so missed events arrive
// first. If the stream is closed for good (e.g. the session ended), the session is checked (a
// 401 leads to sign-in) and a new one is opened after a pause; it cannot resume, so listeners
// get `reset` and reload what they show. A stream that hears nothing, not even the server's
// `ping` (every `heartbeat_s`, said in its first message), is dead though open (a hung server,
// a connection a network dropped without a word), which EventSource would wait on for ever: it
// is closed, the tab is offline, and a new one is opened as above.

import { api } from './api.js';

const EVENT_NAMES = [
  'generation.requested', 'generation.started', 'generation.progress', 'generation.completed',
  'generation.failed', 'generation.cancelled', 'generation.deleted', 'asset.created', 'asset.updated', 'asset.deleted',
  'project.created', 'project.updated', 'project.deleted', 'template.created', 'template.updated',
  'template.deleted', 'reset',
];
const REOPEN_MS = [1000, 2000, 5000, 10000, 30000];
// Silence taken for a dead stream: two heartbeats and some slack, or, before the first message
// (which says the heartbeat), as long as a server takes to answer at worst.
const SILENT_HEARTBEATS = 2;
const SILENCE_SLACK_MS = 5000;
const FIRST_MESSAGE_MS = 30000;

const handlers = new Map(); // pattern → Set<handler>
const statusHandlers = new Set();
let source = null;
let online = null;
let reopenTimer = null;
let attempts = 0;
let wanted = false;
let heardAt = 0;
let silenceMs = FIRST_MESSAGE_MS;
let silenceWatch = null;

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
  heardAt = Date.now();
  silenceMs = FIRST_MESSAGE_MS;
  silenceWatch ??= setInterval(watchSilence, 1000);
  const heard = () => { if (mine === source) heardAt = Date.now(); };
  for (const name of EVENT_NAMES) {
    source.addEventListener(name, (event) => { heard(); dispatch(name, event); });
  }
  source.addEventListener('ping', heard);
  const first = (event) => {
    attempts = 0;
    setOnline(true);
    const heartbeat = Number(parse(event.data)?.heartbeat_s);
    // A server too old to say (nor to send `ping`) is not watched.
    silenceMs = heartbeat > 0 ? heartbeat * 1000 * SILENT_HEARTBEATS + SILENCE_SLACK_MS : Infinity;
  };
  source.addEventListener('ready', (event) => {
    first(event);
    if (isReopen) dispatch('reset', { data: '{"reason":"reconnected"}' });
    isReopen = false;
  });
  // Online from the stream's first message (`ready`, or `reset` when it cannot resume), not from
  // its headers: the server listens for events only just before that message, and a page asks
  // again what is running when the stream comes online, so an event in between is not lost.
  source.addEventListener('reset', first);
  source.addEventListener('error', () => {
    if (mine !== source) return;
    setOnline(false);
    // The browser tries again by itself (each failed try says so here) and resumes where it
    // was: only a try that hangs, never answering, is the watch's to end.
    heardAt = Date.now();
    silenceMs = FIRST_MESSAGE_MS;
    if (mine.readyState === EventSource.CLOSED) {
      source = null;
      if (!wanted) return;
      // Refused for good, perhaps because the session ended (logged out everywhere, the
      // server ends the stream): one question to the API lets its 401 send the page to sign-in.
      api.get('/me').catch(() => {});
      reopenLater();
    }
  });
}

function watchSilence() {
  if (!source || Date.now() - heardAt <= silenceMs) return;
  const dead = source;
  source = null;
  dead.close();
  setOnline(false);
  if (wanted) reopenLater();
}

function reopenLater() {
  const delay = REOPEN_MS[Math.min(attempts, REOPEN_MS.length - 1)];
  attempts += 1;
  clearTimeout(reopenTimer);
  reopenTimer = setTimeout(() => { if (wanted && !source) open(true); }, delay);
}

function parse(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

function dispatch(name, event) {
  const data = parse(event.data);
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

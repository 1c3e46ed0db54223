// Pictures refused for a reason that passes (a 429 of the request limit, a service restarting,
// the network gone) come back: a thumbnail or preview that fails to load is asked for again 2 s,
// 5 s and 15 s later, and at once when the browser is back online or the live stream reconnects;
// only then does its card keep its placeholder for good (and a later reconnect tries it once
// more). One queue and one timer for the whole page, however many cards; a card that left the
// page is not asked for again.
//
//   keepLoading(img, {
//     inPage: () => card.isConnected,   // still shown? (default: the img is in the document)
//     failed() {}, loaded() {}, gaveUp() {},   // show the placeholder, the picture again, …
//   });

import { live } from '../live.js';

const WAITS_MS = [2000, 5000, 15000];
const BATCH = 24; // pictures asked for at once, at most: the rest a moment later
const BATCH_GAP_MS = 250;
const PRUNE_AT = 200; // given-up pictures kept before those no longer shown are let go

const tries = new WeakMap(); // img → failures so far
const waiting = new Map(); // img → { due, hooks }
const given = new Map(); // img → hooks: out of tries; asked once more when the connection is back
let timer = null;
let timerAt = Infinity;
let wasOnline = true;

window.addEventListener('online', () => retryNow());
live.onStatus((online) => {
  if (online && !wasOnline) retryNow();
  wasOnline = online;
});

export function keepLoading(img, hooks = {}) {
  const full = { inPage: () => img.isConnected, failed() {}, loaded() {}, gaveUp() {}, ...hooks };
  img.addEventListener('error', () => failedOnce(img, full));
  img.addEventListener('load', () => {
    if (!tries.has(img)) return;
    tries.delete(img);
    waiting.delete(img);
    given.delete(img);
    full.loaded();
  });
}

function failedOnce(img, hooks) {
  const count = (tries.get(img) || 0) + 1;
  tries.set(img, count);
  if (count === 1) hooks.failed();
  if (count <= WAITS_MS.length) {
    const due = Date.now() + WAITS_MS[count - 1];
    waiting.set(img, { due, hooks });
    schedule(due);
    return;
  }
  if (count === WAITS_MS.length + 1) hooks.gaveUp();
  given.set(img, hooks);
  if (given.size > PRUNE_AT) for (const [other, h] of given) if (!h.inPage()) given.delete(other);
}

/** Every picture waiting, and every one given up that is still shown, asked for now. */
export function retryNow() {
  const now = Date.now();
  for (const entry of waiting.values()) entry.due = now;
  for (const [img, hooks] of given) {
    given.delete(img);
    if (hooks.inPage()) waiting.set(img, { due: now, hooks });
  }
  schedule();
}

function schedule(at = Math.min(...[...waiting.values()].map((entry) => entry.due))) {
  if (!waiting.size || at >= timerAt) return;
  clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(run, Math.max(0, at - Date.now()));
}

function run() {
  timer = null;
  timerAt = Infinity;
  const now = Date.now();
  let asked = 0;
  for (const [img, entry] of waiting) {
    if (entry.due > now) continue;
    if (asked >= BATCH) {
      schedule(now + BATCH_GAP_MS);
      return;
    }
    waiting.delete(img);
    if (!entry.hooks.inPage()) {
      tries.delete(img);
      continue;
    }
    asked += 1;
    reload(img);
  }
  schedule();
}

function reload(img) {
  const src = img.getAttribute('src');
  // Out of the document (a placeholder in its place), a lazy picture would never load.
  if (!img.isConnected) img.loading = 'eager';
  img.removeAttribute('src');
  img.setAttribute('src', src);
}

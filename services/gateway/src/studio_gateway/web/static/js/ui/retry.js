// Failures that pass by themselves (a service behind the gateway restarting, the connection
// dropping, a rate limit) are retried without a click: after 2 s, then 4 s, 8 s … at most
// 30 s apart, never sooner than the server's Retry-After, and only while the tab is shown. The
// live stream's `reset` only reloads a page when the stream itself was down, so a page whose
// service was down alone would otherwise wait for Try again.
//
//   const cancel = retryBySelf({ key: container, error, retry: load, shown: state });
//   if (hadFocus(container)) state.querySelector('button').focus();

import { ApiError } from '../api.js';

const FIRST_WAIT_MS = 2000;
const LONGEST_WAIT_MS = 30000;
// A failure this soon after the last retry of the same place continues its streak (and waits
// longer); a later one starts again from the first wait.
const STREAK_MS = 2 * LONGEST_WAIT_MS;
const PASSING = new Set([429, 502, 503, 504]);

const streaks = new WeakMap();

/** Whether asking again later can succeed without anyone changing anything. */
export function passes(error) {
  if (error instanceof ApiError) return PASSING.has(error.status);
  // fetch() rejects with a TypeError when the server cannot be reached at all, and a request
  // left unanswered ends in a TimeoutError (api.js).
  return error instanceof TypeError || error?.name === 'TimeoutError';
}

/**
 * Call `retry` after the next wait of `key`'s streak, if `error` passes by itself and `wanted()`
 * still holds then (by default: the element `shown` with the error is still on the page).
 * Returns a function that cancels it.
 */
export function retryBySelf({ key, error, retry, shown, wanted = () => shown.isConnected }) {
  if (!passes(error)) return () => {};
  const last = streaks.get(key);
  const attempt = last && Date.now() - last.at < STREAK_MS ? last.attempt + 1 : 0;
  const wait = nextWait(attempt, error);
  let cancelled = false;
  const fire = () => {
    if (cancelled || !wanted()) return;
    streaks.set(key, { attempt, at: Date.now(), focused: Boolean(shown?.contains(document.activeElement)) });
    retry();
  };
  const timer = setTimeout(() => whenShown(fire), wait);
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}

/** The wait before try `attempt` (0: the first) of a streak: 2 s, 4 s, 8 s … at most 30 s,
 * never sooner than `error`'s Retry-After. */
export function nextWait(attempt, error) {
  return Math.max(Math.min(FIRST_WAIT_MS * 2 ** attempt, LONGEST_WAIT_MS), (error?.retryAfter || 0) * 1000);
}

/** Whether the error that `key` showed before its last retry had the focus (its Try again): the
 * error shown after a retry that failed takes it back, so a keyboard user is not thrown out. */
export function hadFocus(key) {
  const last = streaks.get(key);
  return Boolean(last?.focused && Date.now() - last.at < STREAK_MS);
}

/** Run `then` now, or when the tab is shown again: a hidden tab asks nothing of the server. */
function whenShown(then) {
  if (!document.hidden) {
    then();
    return;
  }
  document.addEventListener('visibilitychange', function shown() {
    if (document.hidden) return;
    document.removeEventListener('visibilitychange', shown);
    then();
  });
}

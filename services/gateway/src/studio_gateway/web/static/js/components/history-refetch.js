// The records the history could not fetch (a service hung, the tab offline), asked for again
// one generation at a time: after 2 s, then 4 s, … at most 30 s apart, never sooner than the
// server's Retry-After (ui/retry.js `nextWait`), and at once when the live stream is back.
//
//   const missed = refetcher((id) => fetchAndShow(id));
//   missed.later(id, error);   // it failed: again after the next wait of its streak
//   missed.now();              // the stream is back: every one waiting, now
//   missed.forget(id);         // fetched, or gone: its streak ends (no id: every one's)

import { nextWait } from '../ui/retry.js';

export function refetcher(fetch) {
  const missed = new Map(); // id → {attempt, timer}
  return {
    later(id, error) {
      const last = missed.get(id);
      clearTimeout(last?.timer);
      const attempt = last ? last.attempt + 1 : 0;
      const entry = { attempt, timer: null };
      entry.timer = setTimeout(() => {
        entry.timer = null;
        if (missed.get(id) === entry) fetch(id);
      }, nextWait(attempt, error));
      missed.set(id, entry);
    },
    now() {
      // The streak goes on: one that fails again waits longer than the last time.
      for (const [id, entry] of missed) {
        if (!entry.timer) continue;
        clearTimeout(entry.timer);
        entry.timer = null;
        fetch(id);
      }
    },
    forget(id) {
      for (const [key, entry] of missed) {
        if (id !== undefined && key !== id) continue;
        clearTimeout(entry.timer);
        missed.delete(key);
      }
    },
  };
}

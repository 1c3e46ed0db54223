// What leaving a page would cancel: uploads still being sent. The router asks `mayLeave()`
// before it leaves a page for another (a link, Back or Forward, the sidebar), in the studio's
// own confirm dialog, naming how many would be cancelled; staying keeps them going. Closing or
// reloading the tab is asked by the browser instead (api.js, beforeunload).
//
//   holdPage(() => filesStillSending(), signal);   // counted until `signal` aborts (the page is left)
//   if (await mayLeave()) …

import { confirmDialog } from './ui/confirm.js';
import { count } from './ui/format.js';

const holds = new Set();

/** Count `sending()` (a number of uploads) as what leaving would cancel, until `signal` aborts
 * or the returned function is called. */
export function holdPage(sending, signal) {
  holds.add(sending);
  const release = () => holds.delete(sending);
  signal?.addEventListener('abort', release, { once: true });
  return release;
}

/** How many uploads leaving the page now would cancel. */
export function sendingNow() {
  let total = 0;
  for (const sending of holds) total += sending() || 0;
  return total;
}

/** True at once when nothing would be lost; else the person is asked. */
export async function mayLeave() {
  const sending = sendingNow();
  if (!sending) return true;
  return confirmDialog({
    title: 'Leave this page?',
    body: `${count(sending, 'upload is', 'uploads are')} still being sent. Leaving the page cancels ${sending === 1 ? 'it' : 'them'}.`,
    confirmLabel: sending === 1 ? 'Leave and cancel it' : `Leave and cancel ${sending}`,
    cancelLabel: 'Stay',
    danger: true,
  });
}

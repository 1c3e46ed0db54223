// A POST that makes its thing once, whatever the network does (Generate, Save as template,
// Create project).
//
//   const send = sendOnce(`/projects/${id}/generations`);
//   const generation = await send(body);
//
// Each request carries an Idempotency-Key. An answer that leaves open whether the server made
// it (none at all or none in time, a 502–504 from the gateway or a service behind it that gave
// up half-way, a 409 while the key's first try is still being accepted) is asked again with the
// same key, after 1, 2 and 4 s, unless the server asks for a longer wait (Retry-After): the
// server answers what the key first made, so a request that landed after all is not made twice. When those tries run out, sending the same body again still uses the key, so
// pressing Generate again after "could not reach the server" cannot make a second one either;
// a different body, or any request after a definite answer, gets a new key. Where a key waits
// between sends is the `keys` store's business (below).

import { ApiError, api } from './api.js';
import { randomHex } from './random-hex.js';

const WAITS_MS = [1000, 2000, 4000];
const OUTCOME_OPEN = new Set([409, 502, 503, 504]);

export function sendOnce(path, { keys = unsettledKeys() } = {}) {
  return async function send(body) {
    const text = JSON.stringify(body);
    const kept = keys.take();
    const key = kept?.text === text ? kept.key : randomHex(16);
    keys.sending({ key, text }, body);
    for (let attempt = 0; ; attempt++) {
      try {
        return await api.post(path, body, { headers: { 'Idempotency-Key': key } });
      } catch (error) {
        const open = outcomeOpen(error);
        const wait = WAITS_MS[attempt];
        // A server that asks for a longer wait (Retry-After) is not waited on with a card that
        // says "Sending": its words are shown, and the next send keeps the key.
        if (!open || wait === undefined || (error.retryAfter || 0) * 1000 > wait) {
          if (open) keys.unsettled({ key, text });
          throw error;
        }
        await pause(wait);
      }
    }
  };
}

/** Where a key waits for the next send (the default, in memory): only the key of a request
 * given up on with its outcome unknown, and only a send after that takes it; one made while
 * another is still being asked is a second request on purpose (Ctrl+Enter twice), with a key of
 * its own. A store that must outlive a reload keeps `{ key, text }` in `sending` instead
 * (new-project.js). */
export function unsettledKeys() {
  let kept = null;
  return {
    take() {
      const entry = kept;
      kept = null;
      return entry;
    },
    sending() {},
    unsettled(entry) { kept = entry; },
  };
}

/** Whether the server may have done what was asked although the answer says otherwise. */
function outcomeOpen(error) {
  if (error instanceof ApiError) return OUTCOME_OPEN.has(error.status);
  // fetch() rejects with a TypeError when no answer came, and api.js with a TimeoutError when
  // none came in time (sent or not, nobody knows).
  return error instanceof TypeError || error?.name === 'TimeoutError';
}

function pause(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

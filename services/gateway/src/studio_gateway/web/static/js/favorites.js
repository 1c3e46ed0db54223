// Starring an asset, press after press: the presses are applied in order, whatever their pace.
// Each press used to send its own PATCH, worked out from a value the first answer had not yet
// updated (two quick presses both starred) or racing the other (the later answer won).
//
//   const answer = await setFavorite(assetId, true, { signal });
//   // → the asset as the server has it after the last press; null for a press that joined one
//   //   being sent (that one's caller gets the answer for both)

import { api } from './api.js';

const sending = new Map(); // asset id → { wanted }

export async function setFavorite(assetId, wanted, { signal } = {}) {
  const running = sending.get(assetId);
  if (running) {
    running.wanted = wanted; // sent once the request under way is answered
    return null;
  }
  const job = { wanted };
  sending.set(assetId, job);
  try {
    let sent;
    let answer;
    do {
      sent = job.wanted;
      answer = await api.patch(`/assets/${encodeURIComponent(assetId)}`, { favorite: sent }, { signal });
    } while (job.wanted !== sent);
    return answer;
  } finally {
    sending.delete(assetId);
  }
}

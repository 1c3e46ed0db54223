// Hand-offs to the generation panel of a project page: "use as reference" and "remix". On the
// asset's (generation's) own project page the panel hears a document event at once; anywhere
// else the request waits in sessionStorage and the project page is opened, whose panel picks it
// up when it mounts (takePending).
//
//   useAsReference(asset)        → 'studio:use-reference' {asset} (or sessionStorage studio.pendingReference = asset)
//   remix(generation)            → 'studio:remix' {generation} (or studio.pendingRemix = {generation})

import { navigate } from '../router.js';

export const PENDING_REFERENCE = 'studio.pendingReference';
export const PENDING_REMIX = 'studio.pendingRemix';
/** The events a project page's panel hears (the page keeps those sent before its panel is made). */
export const HAND_OFF_EVENTS = ['studio:use-reference', 'studio:remix'];

function onProjectPage(projectId) {
  return Boolean(projectId) && location.pathname === `/studio/${encodeURIComponent(projectId)}`;
}

function handOff(eventName, storageKey, detail, projectId, stored = detail) {
  if (!projectId || onProjectPage(projectId)) {
    document.dispatchEvent(new CustomEvent(eventName, { detail }));
    return;
  }
  try {
    sessionStorage.setItem(storageKey, JSON.stringify(stored));
  } catch {
    // Storage blocked: the page opens without the hand-off.
  }
  // Staying on this page (uploads still being sent) drops the hand-off: it is not for a later visit.
  navigate(`/studio/${encodeURIComponent(projectId)}`).then((moved) => {
    if (moved) return;
    try {
      sessionStorage.removeItem(storageKey);
    } catch {
      // Storage blocked: nothing was kept.
    }
  });
}

export function useAsReference(asset) {
  handOff('studio:use-reference', PENDING_REFERENCE, { asset }, asset?.project_id, asset);
}

export function remix(generation) {
  handOff('studio:remix', PENDING_REMIX, { generation }, generation?.project_id);
}

/**
 * A waiting hand-off for this project (removed once read), or null: `{asset}` or `{generation}`.
 * A reference is stored as the bare Asset (the gallery stores it the same way).
 */
export function takePending(key, projectId) {
  try {
    const raw = sessionStorage.getItem(key);
    if (!raw) return null;
    let detail = JSON.parse(raw);
    if (key === PENDING_REFERENCE && detail?.id) detail = { asset: detail };
    const owner = detail?.asset?.project_id || detail?.generation?.project_id;
    if (owner && owner !== projectId) return null;
    sessionStorage.removeItem(key);
    return detail;
  } catch {
    return null;
  }
}

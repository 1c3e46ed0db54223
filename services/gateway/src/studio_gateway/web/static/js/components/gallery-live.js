// Keeping the loaded assets current: live `asset.created`/`asset.updated` join or change cards in
// place, a deletion takes one off (focus moving on to a neighbour), and after a `reset` (a new
// stream that could not resume) the newest pages are merged in (ui/first-pages.js). This tab's own
// changes (a star, a rename, a delete, an upload) go through the same bookkeeping.
//
//   const live = galleryLive({ state, projectId, elements, list, search, signal });
//   live.onCreated(data), live.onUpdated(data), live.catchUp()        // the live events
//   live.insert(asset, { announceIt }), live.updateItem(asset), live.replaceItem(asset),
//   live.removeItem(id)
//
// `list` is the gallery's list (gallery-list.js); `search` takes the focus when the last card
// holding it leaves.

import { api, causedHere } from '../api.js';
import { showsFailure } from '../ui/empty.js';
import { newestPages } from '../ui/first-pages.js';
import { announce } from '../ui/toast.js';
import { filtered } from './gallery-list.js';

export function galleryLive({ state, projectId, elements, list, search, signal }) {
  return { onCreated, onUpdated, catchUp, insert, updateItem, replaceItem, removeItem };

  function matches(asset) {
    if (projectId && asset.project_id !== projectId) return false;
    if (state.project && asset.project_id !== state.project) return false;
    if (state.type && asset.media_type !== state.type) return false;
    if (state.favorite && !asset.favorite) return false;
    if (state.q) {
      const needle = state.q.toLowerCase();
      const haystack = [asset.name, asset.original_filename, asset.prompt, ...(asset.tags || [])];
      if (!haystack.some((text) => text && text.toLowerCase().includes(needle))) return false;
    }
    return true;
  }

  /** `asset` joins the list at its place, newest first as the server lists them (ids are
   * time-ordered): a new asset at the top, an older one starred elsewhere among its dates. One
   * older than every loaded item waits for its page, unless every page is loaded. */
  function insert(asset, { announceIt = true } = {}) {
    if (!state.loaded || elements.has(asset.id) || !matches(asset)) return false;
    const at = state.items.findIndex((item) => item.id < asset.id);
    if (at < 0 && state.cursor) return false;
    const index = at < 0 ? state.items.length : at;
    state.items.splice(index, 0, asset);
    if (!list.itemsEl) {
      list.renderItems();
    } else {
      const el = list.render(asset);
      el.classList.add('is-new');
      const next = state.items[index + 1];
      list.itemsEl.insertBefore(el, next ? elements.get(next.id) || null : null);
      list.updateSummary();
    }
    if (announceIt) announce(`New asset: ${asset.name}`);
    return true;
  }

  async function onCreated(data) {
    if (!data?.asset_id || elements.has(data.asset_id)) return;
    if (projectId && data.project_id !== projectId) return;
    if (state.project && data.project_id !== state.project) return;
    if (state.type && data.media_type !== state.type) return;
    if (state.favorite) return; // a new asset is never a favorite yet
    try {
      const asset = await api.get(`/assets/${encodeURIComponent(data.asset_id)}`, undefined, { signal });
      insert(asset);
    } catch {
      // Gone again already, or the network blinked: the next reload shows the truth.
    }
  }

  /** Renamed, tagged or starred elsewhere: the card follows (and leaves, or joins, a filtered
   * list). This tab's own changes come back this way too: those are shown already, by the code
   * that made them and says what became of them, so their echo is left alone. */
  async function onUpdated(data) {
    if (!data?.asset_id || !state.loaded || causedHere(data.request_id)) return;
    const listed = state.items.find((item) => item.id === data.asset_id);
    if (listed) {
      const asset = { ...listed, name: data.name, tags: data.tags || [], favorite: Boolean(data.favorite) };
      const same = asset.name === listed.name && asset.favorite === listed.favorite
        && JSON.stringify(asset.tags) === JSON.stringify(listed.tags || []);
      if (!same) updateItem(asset);
      return;
    }
    // Not listed: only a filter could have kept it out, and it may match now.
    if (!filtered(state) || (projectId && data.project_id !== projectId)) return;
    try {
      const asset = await api.get(`/assets/${encodeURIComponent(data.asset_id)}`, undefined, { signal });
      insert(asset, { announceIt: false });
    } catch {
      // Gone meanwhile, or the network blinked: the next reload shows the truth.
    }
  }

  /** After a `reset`: the newest pages update the cards they hold, add the new ones at the top
   * and take off those deleted meanwhile; older loaded cards, and the scroll, stay. */
  async function catchUp() {
    if (!state.loaded || !list.itemsEl || showsFailure(list.body)) {
      list.start({ quiet: true });
      return;
    }
    const mine = state.generation;
    let news;
    try {
      news = await newestPages((from) => list.fetchPage(from), state.items.map((item) => item.id));
    } catch {
      return; // the network blinked again: the next reset, or a reload, shows the truth
    }
    if (mine !== state.generation) return; // the filters changed meanwhile: that list holds
    if (!news) {
      list.start({ quiet: true });
      return;
    }
    news.gone.forEach(removeItem);
    const next = news.cursor === undefined ? state.cursor : news.cursor;
    if (news.cursor !== undefined) state.cursor = null; // every item of the pages has its place
    const listed = new Map(state.items.map((item) => [item.id, item]));
    for (const asset of news.items) {
      const known = listed.get(asset.id);
      if (!known) insert(asset, { announceIt: false });
      else if (JSON.stringify(known) !== JSON.stringify(asset)) updateItem(asset);
    }
    state.cursor = next;
    if (list.itemsEl) list.updateSummary();
  }

  function replaceItem(asset) {
    const index = state.items.findIndex((item) => item.id === asset.id);
    if (index < 0) return;
    state.items[index] = asset;
    const old = elements.get(asset.id);
    if (!old) return;
    const hadFocus = old.contains(document.activeElement) ? document.activeElement.dataset.action : null;
    const fresh = list.render(asset);
    old.replaceWith(fresh);
    if (hadFocus) fresh.querySelector(`[data-action="${hadFocus}"]`)?.focus();
  }

  /** A changed asset stays listed only while it still matches the filters and search: the
   * chips' pressed states always say what is listed (docs/studio.md). Unstarred under
   * Favorites, or renamed out of the search, it leaves the list. False when it left. */
  function updateItem(asset) {
    if (matches(asset)) {
      replaceItem(asset);
      return true;
    }
    const listed = elements.has(asset.id);
    removeItem(asset.id);
    return !listed;
  }

  function removeItem(id) {
    const index = state.items.findIndex((item) => item.id === id);
    if (index < 0) return;
    const el = elements.get(id);
    const hadFocus = el?.contains(document.activeElement);
    state.items.splice(index, 1);
    elements.delete(id);
    el?.remove();
    if (!state.items.length) {
      list.renderItems();
      if (hadFocus) search.focus();
      return;
    }
    list.updateSummary();
    if (hadFocus) {
      const next = state.items[Math.min(index, state.items.length - 1)];
      elements.get(next.id)?.querySelector('[data-action="open"]')?.focus();
    }
  }
}

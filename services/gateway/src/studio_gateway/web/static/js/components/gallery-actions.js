// What a gallery item's buttons do: open it in the viewer (./viewer.js, loaded when first
// needed), favorite, rename, delete, "use as reference", and the drag that carries it to a
// reference slot. Returns the `handlers` the cards and rows call (gallery-items.js):
//
//   const handlers = galleryActions({ state, elements, signal, go, loadMore, updateItem, removeItem });
//
// `state.items`/`state.cursor` are what the gallery holds, `elements` its cards by asset id;
// `loadMore`, `updateItem` and `removeItem` change the list (gallery-list.js, gallery-live.js);
// `go(path)` navigates.

import { api, errorMessage } from '../api.js';
import { setFavorite } from '../favorites.js';
import { confirmDelete, renameDialog } from '../ui/rename.js';
import { announce, toast } from '../ui/toast.js';

const DRAG_TYPE = 'application/x-studio-asset';
const PENDING_REFERENCE = 'studio.pendingReference';

export function galleryActions({ state, elements, signal, go, loadMore, updateItem, removeItem }) {
  return {
    open: (asset) => openAsset(asset),
    favorite: (asset, button) => toggleFavorite(asset, button),
    reference: (asset) => useAsReference(asset),
    rename: (asset) => rename(asset),
    remove: (asset) => removeAsset(asset),
    dragstart: (asset, event) => dragStart(asset, event),
  };

  async function openAsset(asset) {
    let viewer;
    try {
      viewer = await import('./viewer.js');
    } catch {
      window.open(asset.content_url, '_blank', 'noopener');
      return;
    }
    const items = [...state.items];
    const index = Math.max(0, items.findIndex((item) => item.id === asset.id));
    viewer.openViewer({
      items,
      index,
      more: state.cursor ? morePages : null,
      // Its file deleted in the viewer: the card now in its place (the next one), else the one
      // before; none left, the page's content (the dialog's own fallback).
      returnFocus: () => openButton(elements.get(asset.id))
        || openButton(elements.get(state.items[Math.min(index, state.items.length - 1)]?.id)),
      actions: {
        onChange: (changed, previous) => {
          if (changed) {
            if (!updateItem(changed)) announce(`${changed.name} no longer matches; it left the list.`);
          } else if (previous?.id) {
            // The viewer names what it deleted (viewer.js): that card goes, no other is asked about.
            removeItem(previous.id);
          }
        },
      },
    });
  }

  /** The viewer's next assets: the gallery's next page, loaded into the gallery as well. All the
   * gallery holds is given (the viewer keeps those it lacks), so a page the scrolling loaded
   * meanwhile is not skipped. */
  async function morePages() {
    await loadMore();
    return { items: state.items, done: !state.cursor };
  }

  function toggleFavorite(asset, button) {
    return starAs(asset, button.getAttribute('aria-pressed') !== 'true');
  }

  async function starAs(asset, wanted) {
    showStar(asset.id, wanted);
    let updated;
    try {
      updated = await setFavorite(asset.id, wanted, { signal });
    } catch (error) {
      if (signal.aborted) return;
      const listed = state.items.find((item) => item.id === asset.id);
      showStar(asset.id, Boolean(listed?.favorite));
      toast(errorMessage(error), { kind: 'error', signal, action: { label: 'Retry', run: () => starAs(asset, wanted) } });
      return;
    }
    if (!updated) return; // a quick second press: the press being sent answers for both
    const kept = updateItem(updated);
    announce(updated.favorite ? `${updated.name} added to favorites`
      : `${updated.name} removed from favorites${kept ? '' : ' and from this list'}`);
  }

  function openButton(el) {
    return el?.querySelector('[data-action="open"]') || null;
  }

  function showStar(assetId, on) {
    elements.get(assetId)?.querySelector('[data-action="favorite"]')?.setAttribute('aria-pressed', String(on));
  }

  function useAsReference(asset) {
    const onItsPage = location.pathname === `/studio/${asset.project_id}`;
    if (onItsPage) {
      document.dispatchEvent(new CustomEvent('studio:use-reference', { detail: { asset } }));
      return;
    }
    try {
      sessionStorage.setItem(PENDING_REFERENCE, JSON.stringify(asset));
    } catch {
      // Storage blocked: the project opens without the reference.
    }
    go(`/studio/${encodeURIComponent(asset.project_id)}`);
  }

  function dragStart(asset, event) {
    const dt = event.dataTransfer;
    if (!dt) return;
    const payload = {
      id: asset.id, project_id: asset.project_id, media_type: asset.media_type, thumbnail_url: asset.thumbnail_url,
      name: asset.name, width: asset.width, height: asset.height, size: asset.size,
    };
    dt.setData(DRAG_TYPE, JSON.stringify(payload));
    dt.setData('text/uri-list', new URL(asset.content_url, location.origin).href);
    dt.effectAllowed = 'copy';
    const img = event.currentTarget?.querySelector?.('img');
    if (img && img.complete && dt.setDragImage) dt.setDragImage(img, 24, 24);
    event.currentTarget?.classList?.add('is-dragging');
  }

  async function rename(asset) {
    const updated = await renameDialog({
      title: 'Rename asset',
      current: asset.name,
      empty: 'Give the asset a name.',
      save: (value) => api.patch(`/assets/${encodeURIComponent(asset.id)}`, { name: value }, { signal }),
    });
    if (!updated) return;
    // Only once the dialog has given focus back to the Rename button: the card drawn anew then
    // keeps it there (one drawn while the dialog was open took its opener away, and focus fell
    // to the page). Renamed out of the search, it leaves the list and focus moves on to a
    // neighbour (or the search). The toast is in a live region: it says why.
    const kept = updateItem(updated);
    toast(`Renamed to “${updated.name}”.${kept ? '' : ' The search no longer matches it.'}`, { kind: 'success' });
  }

  async function removeAsset(asset) {
    const outcome = await confirmDelete({
      name: asset.name,
      body: 'The file is removed from storage and from this gallery. Generations that made it keep their record. This cannot be undone.',
      remove: () => api.del(`/assets/${encodeURIComponent(asset.id)}`, { signal }),
      signal,
      retry: () => removeAsset(asset),
    });
    if (!outcome) return;
    removeItem(asset.id);
    if (outcome === 'gone') toast(`“${asset.name}” was already deleted.`, { kind: 'info' });
    else toast(`Deleted “${asset.name}”.`, { kind: 'success' });
  }
}

// The viewer (lightbox): full-size media with the actions at hand. Used by the history, the
// gallery and anyone else who shows assets.
//
//   const { close } = openViewer({ items: assets, index: 2, actions: { onChange(asset|null, old) {} } });
//
// items are API Asset objects (id, media_type, content_type, content_url, thumbnail_url, name,
// width, height, prompt, favorite, generation_id, project_id, size). ArrowLeft/ArrowRight move
// between them, Escape closes (focus returns to what had it), the dialog traps focus. Actions:
// Download, Favorite (PATCH), Use as reference, Remix (when made by a generation), Delete
// (confirmed). onChange(asset) after a change, onChange(null, asset) after a delete.
// `more` (optional): the list has further pages; `more()` resolves with `{items, done}` (those it
// does not hold yet are added), asked for when ArrowRight passes the last item, rather than
// wrapping to the first while the gallery still has, say, 110 unseen assets; the counter reads
// "50 of 50+" until `done`. `returnFocus()` (optional) names where focus goes on closing when
// what opened the viewer is gone (its file deleted here): the next card, say.

import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import { setFavorite } from '../favorites.js';
import { live } from '../live.js';
import { confirmDialog } from '../ui/confirm.js';
import { openDialog } from '../ui/dialog.js';
import { bytes, duration } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { metaParts } from '../ui/meta-parts.js';
import { toast } from '../ui/toast.js';
import { waveform } from '../ui/waveform.js';
import { remix, useAsReference } from './handoff.js';

const NO_ARROWS = new Set(['INPUT', 'TEXTAREA', 'SELECT', 'VIDEO', 'AUDIO']);

export function openViewer({ items, index = 0, actions = {}, more = null, returnFocus = null }) {
  const list = (items || []).filter(Boolean).map((item) => ({ ...item }));
  if (!list.length) return { close() {} };
  let at = Math.min(Math.max(0, index), list.length - 1);
  const refreshed = new Set();
  let edits = 0; // stars toggled here: a look-up begun before a toggle answers the old star
  let loadMore = more;
  let loadingMore = false;

  const stage = h('div', { class: 'viewer__stage' });
  const counter = h('span', { class: 'viewer__counter', 'aria-live': 'polite' });
  const caption = h('p', { class: 'viewer__caption' });
  const meta = h('p', { class: 'viewer__meta' });
  const bar = h('div', { class: 'viewer__actions' });
  const prev = h('button', { type: 'button', class: 'button button--icon viewer__nav viewer__nav--prev', onclick: () => move(-1) },
    icon('chevron-left', { label: 'Previous' }));
  const next = h('button', { type: 'button', class: 'button button--icon viewer__nav viewer__nav--next', onclick: () => move(1) },
    icon('chevron-right', { label: 'Next' }));

  const handle = openDialog({
    title: 'Viewer',
    className: 'dialog--viewer',
    returnFocus,
    content: h('div', { class: 'viewer' },
      h('div', { class: 'viewer__frame' }, prev, stage, next),
      h('div', { class: 'viewer__footer' },
        h('div', { class: 'viewer__text' }, caption, h('div', { class: 'viewer__line' }, counter, meta)),
        bar)),
  });
  const { dialog } = handle;
  const title = dialog.querySelector('.dialog__title');

  dialog.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (NO_ARROWS.has(event.target.tagName)) return;
    if (event.key === 'ArrowLeft') { event.preventDefault(); move(-1); }
    if (event.key === 'ArrowRight') { event.preventDefault(); move(1); }
  });

  // Deleted elsewhere (another tab, a program) while shown here: it leaves the viewer too.
  const offDeleted = live.on('asset.deleted', (data) => gone(data?.asset_id));
  handle.closed.then(offDeleted);

  show();
  bar.querySelector('a, button')?.focus();
  return { close: () => handle.close() };

  function gone(assetId) {
    const index = list.findIndex((item) => item.id === assetId);
    if (index < 0) return; // not here, or deleted here (already taken out)
    const shown = index === at;
    list.splice(index, 1);
    if (!list.length) {
      toast('This file was deleted elsewhere.', { kind: 'info' });
      handle.close();
      return;
    }
    if (index < at || at >= list.length) at -= 1;
    show();
    if (shown) toast('The file shown was deleted elsewhere; here is the next one.', { kind: 'info' });
  }

  function current() {
    return list[at];
  }

  async function move(step) {
    if (step > 0 && at === list.length - 1 && loadMore) {
      if (loadingMore) return;
      loadingMore = true;
      try {
        const { items: fresh = [], done = false } = (await loadMore()) || {};
        const known = new Set(list.map((item) => item.id));
        list.push(...fresh.filter((item) => item && !known.has(item.id)).map((item) => ({ ...item })));
        if (done) loadMore = null;
      } catch {
        // Not now (the network blinked): the next press asks again.
      } finally {
        loadingMore = false;
      }
      if (!dialog.open) return;
      if (at < list.length - 1) {
        at += 1;
        show();
      } else if (!loadMore) {
        at = 0;
        show();
      }
      return;
    }
    if (list.length < 2) return;
    at = (at + step + list.length) % list.length;
    show();
  }

  function show() {
    const asset = current();
    const focused = dialog.contains(document.activeElement) ? document.activeElement : null;
    const action = focused?.dataset?.action;
    replace(stage, media(asset));
    describe(asset);
    counter.textContent = list.length > 1 ? `${at + 1} of ${list.length}${loadMore ? '+' : ''}` : '';
    prev.hidden = next.hidden = list.length < 2;
    renderActions(asset);
    if (action) (bar.querySelector(`[data-action="${action}"]`) || bar.querySelector('a, button'))?.focus();
    else if (focused && !focused.isConnected) bar.querySelector('a, button')?.focus();
    refresh(asset);
  }

  /** The title, the caption and the facts line (size, length, bytes, type) of `asset`. */
  function describe(asset) {
    replace(title, asset.prompt || asset.name || 'Untitled');
    title.title = asset.prompt || asset.name || '';
    replace(caption, asset.name || '');
    caption.hidden = !asset.prompt || !asset.name;
    const facts = [];
    if (asset.width && asset.height) facts.push(`${asset.width} × ${asset.height}`);
    if (asset.duration) facts.push(duration(asset.duration));
    if (asset.size) facts.push(bytes(asset.size));
    if (asset.content_type) facts.push(asset.content_type);
    replace(meta, metaParts(facts));
  }

  /** Bring a partial item (from a generation's outputs) up to date, once: its words (a hosted
   * video's size, its name) as well as its actions; the media playing is left as it is. */
  async function refresh(asset) {
    if (refreshed.has(asset.id)) return;
    refreshed.add(asset.id);
    const before = edits;
    try {
      const fresh = await api.get(`/assets/${encodeURIComponent(asset.id)}`);
      const i = list.findIndex((a) => a.id === asset.id);
      if (i < 0) return;
      // A star toggled while the look-up was out is newer than the look-up's answer.
      if (edits !== before) delete fresh.favorite;
      Object.assign(list[i], fresh);
      if (i === at && dialog.open) {
        const focused = document.activeElement?.dataset?.action;
        describe(list[i]);
        renderActions(list[i]);
        if (focused) bar.querySelector(`[data-action="${focused}"]`)?.focus();
      }
    } catch {
      // The item as given is good enough to show.
    }
  }

  function renderActions(asset) {
    const content = api.url(`/assets/${encodeURIComponent(asset.id)}/content`, { download: 1 });
    const canReference = asset.media_type === 'image' || asset.media_type === 'video';
    replace(bar,
      h('a', { class: 'button button--primary', href: content, download: asset.name || '', dataset: { action: 'download' } },
        icon('download'), 'Download'),
      h('button', {
        type: 'button',
        class: 'button button--icon viewer__favorite',
        'aria-pressed': asset.favorite ? 'true' : 'false',
        dataset: { action: 'favorite' },
        title: asset.favorite ? 'Remove from favorites' : 'Add to favorites',
        onclick: () => toggleFavorite(),
      }, icon('star', { label: 'Favorite' })), // the star the gallery's cards and filter show
      canReference && h('button', { type: 'button', class: 'button', dataset: { action: 'reference' }, onclick: () => reference() },
        icon('upload'), 'Use as reference'),
      asset.generation_id && h('button', { type: 'button', class: 'button', dataset: { action: 'remix' }, onclick: (event) => startRemix(event.currentTarget) },
        icon('wand'), 'Remix'),
      h('button', { type: 'button', class: 'button button--ghost button--icon', dataset: { action: 'delete' }, title: 'Delete', onclick: () => remove() },
        icon('trash', { label: 'Delete' })),
    );
  }

  async function toggleFavorite() {
    const asset = current();
    const was = asset.favorite;
    asset.favorite = !was;
    edits += 1;
    showFavorite();
    try {
      const updated = await setFavorite(asset.id, asset.favorite);
      if (!updated) return; // a quick second press: the press being sent answers for both
      Object.assign(asset, updated);
      actions.onChange?.(asset);
    } catch (error) {
      asset.favorite = was;
      toast(errorMessage(error), { kind: 'error' });
    }
    showFavorite();
  }

  /** The star as the shown asset has it (the bar may have been drawn again meanwhile). */
  function showFavorite() {
    const button = bar.querySelector('[data-action="favorite"]');
    if (!button) return;
    const on = Boolean(current().favorite);
    button.setAttribute('aria-pressed', String(on));
    button.title = on ? 'Remove from favorites' : 'Add to favorites';
  }

  async function reference() {
    const asset = current();
    // As for a remix: once the viewer has given focus back, so the panel's prompt keeps it.
    handle.close();
    await handle.closed;
    useAsReference(asset);
  }

  async function startRemix(button) {
    const asset = current();
    button.setAttribute('aria-busy', 'true');
    try {
      const generation = await api.get(`/generations/${encodeURIComponent(asset.generation_id)}`);
      // Once the viewer has given focus back: the panel then takes it for its prompt.
      handle.close();
      await handle.closed;
      remix(generation);
    } catch (error) {
      button.removeAttribute('aria-busy');
      toast(errorMessage(error), { kind: 'error' });
    }
  }

  async function remove() {
    const asset = current();
    const sure = await confirmDialog({
      title: 'Delete this file?',
      body: `“${asset.name || 'This file'}” is removed from the project and its storage. This cannot be undone.`,
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!sure) return;
    try {
      await api.del(`/assets/${encodeURIComponent(asset.id)}`);
    } catch (error) {
      if (error.status !== 404) {
        toast(errorMessage(error), { kind: 'error' });
        return;
      }
    }
    toast('File deleted', { kind: 'success' });
    list.splice(at, 1);
    actions.onChange?.(null, asset);
    if (!list.length) {
      handle.close();
      return;
    }
    at = Math.min(at, list.length - 1);
    show();
    bar.querySelector('a, button')?.focus();
  }
}

function media(asset) {
  const src = asset.content_url || api.url(`/assets/${encodeURIComponent(asset.id)}/content`);
  const size = asset.width && asset.height ? { width: asset.width, height: asset.height } : {};
  if (asset.media_type === 'image') {
    const img = h('img', { class: 'viewer__media viewer__media--loading', src, alt: asset.prompt || asset.name || 'Image', decoding: 'async', ...size });
    img.addEventListener('load', () => img.classList.remove('viewer__media--loading'), { once: true });
    return img;
  }
  if (asset.media_type === 'video') {
    return h('video', { class: 'viewer__media', src, controls: true, playsinline: true, loop: true, preload: 'metadata', ...size,
      'aria-label': asset.prompt || asset.name || 'Video' });
  }
  if (asset.media_type === 'audio') {
    return h('div', { class: 'viewer__card' },
      waveform(asset.waveform, { className: 'viewer__waveform' }) || h('div', { class: 'viewer__card-icon' }, icon('audio')),
      h('audio', { src, controls: true, preload: 'metadata', 'aria-label': asset.prompt || asset.name || 'Audio' }));
  }
  return h('div', { class: 'viewer__card' },
    h('div', { class: 'viewer__card-icon' }, icon('cube')),
    h('p', { class: 'viewer__card-title' }, '3D model'),
    h('p', { class: 'muted' }, metaParts([asset.name, bytes(asset.size)])),
    h('a', { class: 'button', href: api.url(`/assets/${encodeURIComponent(asset.id)}/content`, { download: 1 }), download: asset.name || '' },
      icon('download'), `Download GLB${asset.size ? ` (${bytes(asset.size)})` : ''}`));
}

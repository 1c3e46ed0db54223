// "Pick from project": a dialog with the project's assets of one media type; resolves with the
// chosen Asset (or null).

import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import { openDialog } from '../ui/dialog.js';
import { emptyState } from '../ui/empty.js';
import { bytes, duration } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { skeleton } from '../ui/skeleton.js';
import { waveform } from '../ui/waveform.js';
import { MEDIA_ICONS } from './catalog.js';

const NOUN = { image: 'images', video: 'videos', audio: 'sounds', model3d: '3D models' };

export function pickAsset({ projectId, mediaType }) {
  const grid = h('div', { class: 'picker-grid' });
  const more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => load() }, 'Load more');
  const body = h('div', { class: 'picker' }, grid, h('div', { class: 'load-more' }, more));
  let cursor = null;
  const handle = openDialog({
    title: `Pick from project`,
    description: `Choose one of this project’s ${NOUN[mediaType] || 'files'} as the reference.`,
    content: body,
    wide: true,
  });
  for (let i = 0; i < 6; i += 1) grid.append(h('div', { class: 'picker-item', 'aria-hidden': 'true' }, skeleton('media')));
  load(true);
  return handle.closed.then((value) => value || null);

  async function load(first = false) {
    more.setAttribute('aria-busy', 'true');
    try {
      const page = await api.get(`/projects/${encodeURIComponent(projectId)}/assets`, { media_type: mediaType, limit: 30, cursor });
      if (first) replace(grid);
      grid.append(...page.items.map(item));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (first && !page.items.length) {
        replace(body, emptyState({ icon: MEDIA_ICONS[mediaType] || 'assets', title: `No ${NOUN[mediaType] || 'files'} in this project yet`, body: 'Upload one or generate one first.', headingLevel: 'h3' }));
      } else if (first) {
        grid.querySelector('button')?.focus();
      }
    } catch (error) {
      replace(body, h('div', { class: 'alert alert--error', role: 'alert' }, icon('alert'), h('span', errorMessage(error))));
    } finally {
      more.removeAttribute('aria-busy');
    }
  }

  function item(asset) {
    const facts = [asset.width && asset.height && `${asset.width}×${asset.height}`, asset.duration && duration(asset.duration), bytes(asset.size)].filter(Boolean).join(' · ');
    return h('button', { type: 'button', class: 'picker-item', onclick: () => handle.close(asset), 'aria-label': `${asset.name}${facts ? `, ${facts}` : ''}` },
      asset.thumbnail_url
        ? h('img', { src: asset.thumbnail_url, alt: '', width: asset.width && asset.height ? 256 : null, height: asset.width && asset.height ? Math.round(256 * asset.height / asset.width) : null, loading: 'lazy', decoding: 'async' })
        : h('span', { class: 'picker-item__icon' }, waveform(asset.waveform) || icon(MEDIA_ICONS[asset.media_type] || 'file')),
      h('span', { class: 'picker-item__name' }, asset.name));
  }
}

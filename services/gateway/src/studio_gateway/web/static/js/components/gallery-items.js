// How one asset looks in the gallery: a card (grid view) or a table row (list view). Both carry
// the same actions; `handlers` does the work (gallery.js):
//   open(asset), favorite(asset, button), reference(asset), rename(asset), remove(asset),
//   dragstart(asset, event)

import { h, s } from '../dom.js';
import { bytes, dateTime, duration, relativeTime } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { keepLoading } from '../ui/image-retry.js';
import { metaParts } from '../ui/meta-parts.js';
import { waveform } from '../ui/waveform.js';

export const MEDIA = {
  image: { label: 'Image', icon: 'image' },
  video: { label: 'Video', icon: 'video' },
  audio: { label: 'Audio', icon: 'audio' },
  model3d: { label: '3D', icon: 'cube' },
};
const THUMB_MAX = 512;
const FORMATS = {
  'audio/mpeg': 'MP3', 'audio/mp4': 'M4A', 'audio/x-m4a': 'M4A', 'audio/wav': 'WAV', 'audio/x-wav': 'WAV',
  'audio/wave': 'WAV', 'audio/vnd.wave': 'WAV', 'audio/ogg': 'OGG', 'audio/flac': 'FLAC', 'audio/x-flac': 'FLAC',
  'video/quicktime': 'MOV', 'image/jpeg': 'JPEG', 'model/gltf-binary': 'GLB', 'model/gltf+json': 'GLTF',
};

/** "PNG", "MP4", "MP3" from a content type. */
export function formatName(contentType) {
  if (!contentType) return '';
  if (FORMATS[contentType]) return FORMATS[contentType];
  const sub = contentType.split('/')[1] || contentType;
  return sub.replace(/^x-/, '').split(/[+;.-]/)[0].toUpperCase();
}

/** The size and the length, each its own part (none, one or both). */
function extentParts(asset) {
  const parts = [];
  if (asset.width && asset.height) parts.push(`${asset.width} × ${asset.height}`);
  if (asset.duration) parts.push(duration(asset.duration));
  return parts;
}

export function mediaLabel(asset) {
  return (MEDIA[asset.media_type] || MEDIA.image).label;
}

function canReference(asset) {
  return asset.media_type === 'image' || asset.media_type === 'video';
}

/** The thumbnail (width/height set, lazy), a sound's waveform, or an icon for media without one. */
export function preview(asset, { small = false } = {}) {
  const kind = MEDIA[asset.media_type] || MEDIA.image;
  const shape = !asset.thumbnail_url && waveform(asset.waveform, { className: 'asset-thumb__waveform' });
  const fallback = () => h('span', { class: ['asset-thumb__placeholder', `asset-thumb__placeholder--${asset.media_type}`] },
    shape || icon(kind.icon, { size: small ? 'sm' : undefined }),
    !small && h('span', { class: 'asset-thumb__kind' }, formatName(asset.content_type) || kind.label));
  if (!asset.thumbnail_url) return fallback();
  const [width, height] = thumbSize(asset);
  const img = h('img', {
    class: 'asset-thumb__img',
    src: asset.thumbnail_url,
    alt: '',
    width,
    height,
    loading: 'lazy',
    decoding: 'async',
    draggable: 'false',
  });
  // Refused (the request limit, a restart, offline): the placeholder stands in while it is
  // asked for again, and gives way to the picture when it comes (ui/image-retry.js).
  let standIn = null;
  keepLoading(img, {
    inPage: () => Boolean(img.isConnected || standIn?.isConnected),
    failed: () => {
      standIn = fallback();
      standIn.dataset.retrying = 'true';
      img.replaceWith(standIn);
    },
    loaded: () => standIn?.replaceWith(img),
    gaveUp: () => standIn?.removeAttribute('data-retrying'),
  });
  return img;
}

function thumbSize(asset) {
  const w = asset.width || THUMB_MAX;
  const h2 = asset.height || THUMB_MAX;
  const scale = Math.min(1, THUMB_MAX / Math.max(w, h2));
  return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h2 * scale))];
}

function favoriteButton(asset, handlers, extra) {
  const button = h('button', {
    type: 'button',
    class: ['button', 'button--icon', 'button--sm', 'asset-action', 'asset-action--favorite', extra],
    'aria-pressed': asset.favorite ? 'true' : 'false',
    'aria-label': `Favorite ${asset.name}`,
    title: asset.favorite ? 'Remove from favorites' : 'Add to favorites',
    dataset: { action: 'favorite' },
  }, icon('star', { size: 'sm' }));
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    handlers.favorite(asset, button);
  });
  return button;
}

// Two glyphs the shared set lacks, drawn the same way (24 px box, 1.75 stroke, round).
const LOCAL_ICONS = {
  pencil: ['M4 20h4L18.5 9.5a2.12 2.12 0 0 0-3-3L5 17z', 'M13.5 8.5l3 3'],
  attach: ['M20 11.5l-7.8 7.8a5 5 0 0 1-7-7L13 4.5a3.3 3.3 0 0 1 4.7 4.7L9.9 17a1.7 1.7 0 0 1-2.4-2.4l7.1-7.1'],
};

export function glyph(name) {
  if (!LOCAL_ICONS[name]) return icon(name, { size: 'sm' });
  const svg = s('svg', {
    class: 'icon icon--sm', viewBox: '0 0 24 24', width: 16, height: 16, fill: 'none', stroke: 'currentColor',
    'stroke-width': '1.75', 'stroke-linecap': 'round', 'stroke-linejoin': 'round', focusable: 'false', 'aria-hidden': 'true',
  });
  for (const d of LOCAL_ICONS[name]) svg.append(s('path', { d }));
  return svg;
}

function actionButton(name, label, tip, iconName, run, extra) {
  return h('button', {
    type: 'button',
    class: ['button', 'button--icon', 'button--sm', 'asset-action', ...[extra].flat()],
    'aria-label': label,
    title: tip,
    dataset: { action: name },
    onclick: (event) => {
      event.stopPropagation();
      run();
    },
  }, glyph(iconName));
}

function downloadLink(asset, extra) {
  return h('a', {
    class: ['button', 'button--icon', 'button--sm', 'asset-action', extra],
    href: `${asset.content_url}?download=1`,
    download: asset.original_filename || asset.name,
    'aria-label': `Download ${asset.name}`,
    title: 'Download',
    dataset: { action: 'download' },
  }, icon('download', { size: 'sm' }));
}

/** The secondary actions, in Tab order after "open". */
function actions(asset, handlers, extra, { aligned = false } = {}) {
  return [
    downloadLink(asset, extra),
    canReference(asset)
      ? actionButton('reference', `Use ${asset.name} as reference`, 'Use as reference', 'attach', () => handlers.reference(asset), extra)
      // In the list's column, a gap where the button would be keeps every row's buttons in line.
      : aligned && h('span', { class: 'asset-action-gap', 'aria-hidden': 'true' }),
    actionButton('rename', `Rename ${asset.name}`, 'Rename', 'pencil', () => handlers.rename(asset), extra),
    actionButton('delete', `Delete ${asset.name}`, 'Delete', 'trash', () => handlers.remove(asset), [extra, 'asset-action--danger']),
  ];
}

function wireDrag(el, asset, handlers) {
  el.setAttribute('draggable', 'true');
  el.addEventListener('dragstart', (event) => handlers.dragstart(asset, event));
  el.addEventListener('dragend', () => el.classList.remove('is-dragging'));
}

/** Grid view: media first, hover and keyboard actions over it, name and facts below. */
export function assetCard(asset, handlers, { showProject, projectName } = {}) {
  const kind = MEDIA[asset.media_type] || MEDIA.image;
  const size = asset.width && asset.height ? `${asset.width} × ${asset.height}` : formatName(asset.content_type);
  const facts = metaParts([size, bytes(asset.size)]);
  const card = h('article', {
    class: ['asset-card', asset.favorite && 'is-favorite'],
    dataset: { assetId: asset.id, mediaType: asset.media_type },
    'aria-label': asset.name,
  },
  h('div', { class: 'asset-card__frame' },
    h('button', {
      type: 'button',
      class: 'asset-card__open',
      'aria-label': `Open ${asset.name}`,
      dataset: { action: 'open' },
      onclick: () => handlers.open(asset),
    },
    h('span', { class: 'asset-thumb' }, preview(asset))),
    h('span', { class: 'asset-card__chips', 'aria-hidden': 'true' },
      asset.media_type !== 'image' && h('span', { class: 'asset-chip' }, icon(kind.icon, { size: 'sm' }), kind.label),
      // A GIF's thumbnail is its first frame, still: the chip says it may move (it plays in the viewer).
      asset.content_type === 'image/gif' && h('span', { class: 'asset-chip' }, 'GIF'),
      asset.duration ? h('span', { class: 'asset-chip asset-chip--time' }, duration(asset.duration)) : null),
    h('div', { class: 'asset-card__top' }, favoriteButton(asset, handlers, 'asset-action--media')),
    h('div', { class: 'asset-card__actions' }, actions(asset, handlers, 'asset-action--media'))),
  h('div', { class: 'asset-card__body' },
    h('p', { class: 'asset-card__name', title: asset.name }, asset.name),
    h('p', { class: 'asset-card__meta' }, facts),
    showProject && projectName &&
      h('p', { class: 'asset-card__project', title: projectName }, icon('folder', { size: 'sm' }), h('span', projectName))));
  wireDrag(card, asset, handlers);
  return card;
}

/** List view: one table row with the details. */
export function assetRow(asset, handlers, { showProject, projectName } = {}) {
  const kind = MEDIA[asset.media_type] || MEDIA.image;
  const row = h('tr', { class: ['asset-row', asset.favorite && 'is-favorite'], dataset: { assetId: asset.id, mediaType: asset.media_type } },
    h('td', { class: 'asset-row__thumb' }, h('span', { class: 'asset-thumb asset-thumb--small' }, preview(asset, { small: true }))),
    h('td', { class: 'asset-row__name' },
      h('button', {
        type: 'button',
        class: 'asset-row__open',
        'aria-label': `Open ${asset.name}`,
        dataset: { action: 'open' },
        onclick: () => handlers.open(asset),
      }, h('span', { class: 'asset-row__title' }, asset.name)),
      asset.original_filename && asset.original_filename !== asset.name &&
        h('span', { class: 'asset-row__sub' }, asset.original_filename),
      // The facts hidden with their columns on narrow galleries, under the name instead.
      h('span', { class: 'asset-row__sub asset-row__compact' },
        metaParts([kind.label, ...extentParts(asset), bytes(asset.size)]))),
    h('td', { class: 'asset-row__type' }, h('span', { class: 'asset-row__kind' }, icon(kind.icon, { size: 'sm' }), kind.label),
      h('span', { class: 'asset-row__sub' }, formatName(asset.content_type))),
    h('td', { class: 'asset-row__size' }, bytes(asset.size)),
    // A video has a size and a length: each part whole, wrapping between them in a narrow cell.
    h('td', { class: 'asset-row__extent' }, extentParts(asset).length ? metaParts(extentParts(asset)) : '—'),
    h('td', { class: 'asset-row__created' },
      h('time', { datetime: asset.created_at, title: dateTime(asset.created_at) }, relativeTime(asset.created_at))),
    showProject && h('td', { class: 'asset-row__project' }, projectName || '—'),
    h('td', { class: 'asset-row__actions' },
      h('div', { class: 'asset-row__buttons' }, favoriteButton(asset, handlers, 'asset-action--plain'), actions(asset, handlers, 'asset-action--plain', { aligned: true }))));
  wireDrag(row, asset, handlers);
  return row;
}

/** The list view's table with its header row; rows go in the returned tbody. */
export function assetTable({ showProject }) {
  const body = h('tbody');
  const table = h('table', { class: 'asset-table' },
    h('caption', { class: 'visually-hidden' }, 'Assets'),
    h('thead', h('tr',
      h('th', { scope: 'col', class: 'asset-row__thumb' }, h('span', { class: 'visually-hidden' }, 'Preview')),
      h('th', { scope: 'col' }, 'Name'),
      h('th', { scope: 'col', class: 'asset-row__type' }, 'Type'),
      h('th', { scope: 'col', class: 'asset-row__size' }, 'Size'),
      h('th', { scope: 'col', class: 'asset-row__extent' }, 'Dimensions'),
      h('th', { scope: 'col', class: 'asset-row__created' }, 'Created'),
      showProject && h('th', { scope: 'col', class: 'asset-row__project' }, 'Project'),
      h('th', { scope: 'col', class: 'asset-row__actions' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    body);
  return { table, body };
}

/** Skeleton card and row in the shape of the real ones. */
export function skeletonAssetCard() {
  return h('div', { class: 'asset-card asset-card--skeleton', 'aria-hidden': 'true' },
    h('span', { class: 'skeleton asset-card__skeleton-media' }),
    h('div', { class: 'asset-card__body' }, h('span', { class: 'skeleton skeleton--text' }), h('span', { class: 'skeleton skeleton--text skeleton--short' })));
}

export function skeletonAssetRow() {
  return h('div', { class: 'asset-skeleton-row', 'aria-hidden': 'true' },
    h('span', { class: 'skeleton asset-skeleton-row__thumb' }),
    h('span', { class: 'skeleton skeleton--text' }),
    h('span', { class: 'skeleton skeleton--text skeleton--short' }));
}

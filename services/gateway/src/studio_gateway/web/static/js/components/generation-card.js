// One generation in a history: status (icon and words), media, prompt, model, type, times and
// the actions that fit its status. Updated in place as events arrive (focus is kept).
//
//   const el = generationCard(generation, { typeLabel, onAction, showProject, projectName });
//   updateCard(el, newer);   // el.generation is the current record

import { api } from '../api.js';
import { h, replace, uniqueId } from '../dom.js';
import { clip, dateTime, duration, relativeTime } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { keepLoading } from '../ui/image-retry.js';
import { metaParts } from '../ui/meta-parts.js';
import { waveform } from '../ui/waveform.js';
import { MEDIA_ICONS, modelName } from './catalog.js';

const OUTPUT_NAME_MAX = 60;
const ITEM_NAME_MAX = 40; // characters of the prompt in a button's name

export const ACTIVE = new Set(['pending', 'processing']);
const THUMB_MAX = 512;

const STATUS = {
  pending: { icon: 'clock', label: 'Pending', tone: 'info' },
  processing: { icon: 'loader', label: 'Processing', tone: 'accent' },
  completed: { icon: 'check-circle', label: 'Completed', tone: 'success' },
  failed: { icon: 'alert', label: 'Failed', tone: 'danger' },
  cancelled: { icon: 'x-circle', label: 'Cancelled', tone: '' },
  // Not a status of its own: an active generation waiting its turn at the provider.
  queued: { icon: 'clock', label: 'In queue', tone: 'info' },
  // Nor this: a pending generation that has run before, back in line after a transient
  // failure (its log line says why and when it runs again).
  retrying: { icon: 'refresh', label: 'Waiting to retry', tone: 'warning' },
  // Nor this: an active generation whose owner asked to cancel it (the worker is stopping it).
  cancelling: { icon: 'x-circle', label: 'Cancelling', tone: '' },
};

/** Whether a generation waits to be tried again: pending, though it has been tried. */
export function waitsToRetry(generation) {
  return generation.status === 'pending' && (generation.attempts || 0) > 0;
}

/** What the badge shows: a pending generation that ran before reads "Waiting to retry";
 * waiting at the provider (a queue position, no percent yet) reads as "In queue", whatever the
 * record's status says. */
function badgeStatus(generation) {
  if (ACTIVE.has(generation.status) && generation.cancel_requested) return STATUS.cancelling;
  if (waitsToRetry(generation)) return STATUS.retrying;
  const progress = generation.progress || {};
  const queued = ACTIVE.has(generation.status) && progress.queue_position !== null && progress.queue_position !== undefined
    && (progress.percent === null || progress.percent === undefined);
  return queued ? STATUS.queued : STATUS[generation.status] || STATUS.pending;
}

// Whether an output has a preview is in the record (`thumbnail`, set when the assets service
// registered it); a record completed before that field existed leaves it to the asset, asked
// once per asset, so a video without a poster makes no request that must fail.
const posters = new Map(); // asset id → Promise<thumbnail URL | null>
const posterUrls = new Map(); // asset id → thumbnail URL | null, once the asset has answered

const thumbnailUrl = (assetId) => api.url(`/assets/${encodeURIComponent(assetId)}/thumbnail`);

function posterOf(output) {
  const assetId = output.asset_id;
  if (typeof output.thumbnail === 'boolean') return Promise.resolve(output.thumbnail ? thumbnailUrl(assetId) : null);
  if (!posters.has(assetId)) {
    posters.set(assetId, api.get(`/assets/${encodeURIComponent(assetId)}`).then(
      (asset) => {
        const url = asset?.thumbnail_url || null;
        posterUrls.set(assetId, url);
        return url;
      },
      () => {
        posters.delete(assetId); // asked again next time (a blip, or the file is gone)
        return null;
      },
    ));
  }
  return posters.get(assetId);
}

/** The preview URL an output is known to have, else null. Without the record's word, an
 * image's thumbnail is always made; a video's poster only when its first frame could be decoded
 * (the viewer brings the item up to date from the asset itself). */
function knownThumbnail(output) {
  const id = output.asset_id;
  if (typeof output.thumbnail === 'boolean') return output.thumbnail ? thumbnailUrl(id) : null;
  if (output.media_type === 'image') return thumbnailUrl(id);
  return output.media_type === 'video' ? posterUrls.get(id) ?? null : null;
}

/** A generation's outputs as (partial) API Asset objects, for the viewer. */
export function outputsAsAssets(generation) {
  return (generation.outputs || []).map((output) => {
    const id = output.asset_id;
    return {
      id,
      project_id: generation.project_id,
      generation_id: generation.id,
      media_type: output.media_type,
      content_type: output.content_type,
      size: output.size,
      width: output.width ?? null,
      height: output.height ?? null,
      duration: output.duration ?? null,
      waveform: output.waveform ?? null,
      prompt: generation.prompt,
      name: outputName(generation, output),
      favorite: false,
      content_url: api.url(`/assets/${encodeURIComponent(id)}/content`),
      thumbnail_url: knownThumbnail(output),
    };
  });
}

/** The name the assets service gives an output (studio_assets/names.py): its prompt's first
 * words, then its number ("a-lighthouse-at-dusk-1.png"). */
function outputName(generation, output) {
  const words = (generation.prompt || '').normalize('NFKC').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  let stem = words.length ? words[0].slice(0, OUTPUT_NAME_MAX) : generation.id;
  for (const word of words.slice(1)) {
    if (stem.length + 1 + word.length > OUTPUT_NAME_MAX) break;
    stem = `${stem}-${word}`;
  }
  return `${stem}-${output.index + 1}.${extension(output.content_type)}`;
}

export function statusText(generation) {
  const status = badgeStatus(generation);
  const progress = generation.progress || {};
  if (status === STATUS.queued) return `${status.label} · #${progress.queue_position + 1}`;
  if (generation.status === 'processing' && progress.percent !== null && progress.percent !== undefined) {
    return `${status.label} ${Math.round(progress.percent)}%`;
  }
  return status.label;
}

export function generationCard(generation, options) {
  const promptId = uniqueId('gen-prompt');
  const el = h('article', { class: 'gen-card', dataset: { id: generation.id }, 'aria-labelledby': promptId });
  el.parts = {
    media: h('div', { class: 'gen-card__media' }),
    status: h('span', { class: 'gen-card__status' }),
    // The exact date as a tooltip, formatted when first pointed at (formatting is not free).
    time: h('time', { class: 'gen-card__time', onpointerenter: (event) => { event.currentTarget.title ||= dateTime(el.generation.created_at); } }),
    prompt: h('p', { class: 'gen-card__prompt', id: promptId }),
    meta: h('p', { class: 'gen-card__meta' }),
    error: h('p', { class: 'gen-card__error', hidden: true }),
    flagged: h('p', { class: 'gen-card__flagged', hidden: true }),
    project: h('p', { class: 'gen-card__project', hidden: true }),
    actions: h('div', { class: 'gen-card__actions' }),
  };
  el.options = options;
  const { parts } = el;
  el.append(parts.media, h('div', { class: 'gen-card__body' },
    h('div', { class: 'gen-card__head' }, parts.status, parts.time),
    parts.prompt, parts.meta, parts.error, parts.flagged, parts.project, parts.actions));
  el.keys = {};
  updateCard(el, generation);
  return el;
}

export function updateCard(el, generation) {
  const { parts, options, keys } = el;
  const before = el.generation;
  el.generation = generation;
  el.dataset.status = generation.status;
  const active = ACTIVE.has(generation.status);

  const statusKey = statusText(generation);
  if (keys.status !== statusKey) {
    keys.status = statusKey;
    const status = badgeStatus(generation);
    replace(parts.status, h('span', { class: ['badge', status.tone && `badge--${status.tone}`, 'gen-card__badge'] },
      icon(status.icon, { size: 'sm', class: status === STATUS.processing ? 'icon--spin' : null }), statusKey));
  }

  const phase = waitsToRetry(generation) ? 'retrying' : generation.status;
  const mediaKey = `${phase}:${(generation.outputs || []).map((o) => o.asset_id).join(',')}`;
  if (keys.media !== mediaKey) {
    keys.media = mediaKey;
    keep(el, parts.media, () => replace(parts.media, media(el, generation)));
  }
  if (active) updateProgress(el, generation);

  if (keys.prompt !== generation.prompt) {
    keys.prompt = generation.prompt;
    parts.prompt.textContent = generation.prompt || 'No prompt';
    parts.prompt.classList.toggle('gen-card__prompt--empty', !generation.prompt);
    parts.prompt.title = generation.prompt || '';
  }
  parts.time.dateTime = generation.created_at;
  parts.time.textContent = relativeTime(generation.created_at);
  updateMeta(el);

  const message = generation.status === 'failed' ? (generation.error?.message || 'The generation failed.') : '';
  parts.error.hidden = !message;
  if (message) replace(parts.error, icon('alert', { size: 'sm' }), h('span', message));

  const flagged = flaggedText(generation);
  parts.flagged.hidden = !flagged;
  if (flagged && parts.flagged.textContent !== flagged) replace(parts.flagged, icon('alert', { size: 'sm' }), h('span', flagged));

  if (options.showProject) {
    const name = options.projectName?.(generation.project_id) || 'Open project';
    const href = `/studio/${encodeURIComponent(generation.project_id)}`;
    const link = parts.project.querySelector('a');
    parts.project.hidden = false;
    // A rename elsewhere changes the words, not the link: one focused keeps its focus.
    if (link?.getAttribute('href') === href) {
      if (link.textContent !== name) link.textContent = name;
    } else {
      keep(el, parts.project, () => replace(parts.project, icon('folder', { size: 'sm' }), h('a', { href }, name)));
    }
  }

  const actionsKey = `${generation.status}:${generation.outputs?.length || 0}:${Boolean(generation.cancel_requested)}`;
  if (keys.actions !== actionsKey) {
    keys.actions = actionsKey;
    keep(el, parts.actions, () => replace(parts.actions, actions(el, generation)));
  }
  return before;
}

/** The elapsed time, ticking for active cards (called every second by the history). */
export function updateMeta(el) {
  const generation = el.generation;
  const bits = [modelName(generation.model_id), el.options.typeLabel?.(generation.type) || generation.type];
  const elapsed = elapsedSeconds(generation);
  if (elapsed !== null) bits.push(elapsedText(generation.status, duration(elapsed, { words: true })));
  // Called every second: the parts are redrawn only when one of them changed.
  const key = bits.join('\n');
  if (el.keys.meta === key) return;
  el.keys.meta = key;
  replace(el.parts.meta, metaParts(bits));
}

// Only a completed generation "took" its time: a cancelled or failed one stopped after it.
const ENDED = { cancelled: 'cancelled after', failed: 'failed after' };

function elapsedText(status, time) {
  if (ACTIVE.has(status)) return `${time} so far`;
  return ENDED[status] ? `${ENDED[status]} ${time}` : `took ${time}`;
}

export function refreshTime(el) {
  el.parts.time.textContent = relativeTime(el.generation.created_at);
}

function elapsedSeconds(generation) {
  const start = Date.parse(generation.created_at);
  if (Number.isNaN(start)) return null;
  if (ACTIVE.has(generation.status)) return Math.max(0, (Date.now() - start) / 1000);
  const end = Date.parse(generation.completed_at);
  if (Number.isNaN(end)) return null;
  return Math.max(0, (end - start) / 1000);
}

/** Run `change` on a part, then put focus back on the same action if it was inside. */
function keep(el, part, change) {
  const focused = part.contains(document.activeElement) ? document.activeElement.dataset.action : null;
  change();
  if (!focused) return;
  const again = part.querySelector(`[data-action="${focused}"]`);
  (again || el.parts.actions.querySelector('button, a') || el).focus?.();
}

function media(el, generation) {
  const outputs = generation.outputs || [];
  if (generation.status === 'completed' && outputs.length) {
    const images = outputs.filter((o) => o.media_type === 'image');
    const view = (index) => el.options.onAction('view', generation, { index });
    if (images.length) {
      const shown = images.slice(0, 4);
      return h('button', {
        type: 'button',
        class: ['gen-card__view', shown.length > 1 && `gen-card__view--grid gen-card__view--${shown.length}`],
        dataset: { action: 'view-media' },
        'aria-label': `View ${outputs.length > 1 ? `${outputs.length} images` : 'image'}`,
        // One button (one Tab stop) for the set; a click on a picture opens the viewer at it.
        onclick: (event) => view(Number(event.target.closest('img')?.dataset.index || 0)),
      }, shown.map((output) => {
        const img = thumbnail(output);
        img.dataset.index = String(outputs.indexOf(output));
        return img;
      }), outputs.length > 4 && h('span', { class: 'gen-card__more' }, `+${outputs.length - 4}`));
    }
    const first = outputs[0];
    if (first.media_type === 'video') return videoPoster(first, outputs.length, () => view(0));
    return h('button', {
      type: 'button',
      class: 'gen-card__view gen-card__placeholder',
      dataset: { action: 'view-media' },
      'aria-label': `View ${first.media_type === 'model3d' ? '3D model' : first.media_type}`,
      onclick: () => view(0),
    },
    waveform(first.waveform, { className: 'gen-card__waveform' })
      || h('span', { class: 'gen-card__placeholder-icon' }, icon(first.media_type === 'video' ? 'play' : MEDIA_ICONS[first.media_type] || 'file')),
    h('span', { class: 'gen-card__placeholder-text' }, mediaCaption(first)));
  }
  if (generation.status === 'completed') {
    return h('div', { class: 'gen-card__placeholder' },
      h('span', { class: 'gen-card__placeholder-icon' }, icon('trash')),
      h('span', { class: 'gen-card__placeholder-text' }, 'Files deleted'));
  }
  if (waitsToRetry(generation)) {
    // Nothing runs until the retry is due: no moving bar, no shimmer; the log line says why
    // and when.
    el.progress = null;
    el.log = h('span', { class: 'gen-card__log' });
    return h('div', { class: 'gen-card__placeholder gen-card__placeholder--waiting' },
      h('span', { class: 'gen-card__placeholder-icon' }, icon('clock')), el.log);
  }
  if (ACTIVE.has(generation.status)) {
    el.progress = h('progress', { class: 'gen-card__progress', max: 100, 'aria-label': 'Progress' });
    el.log = h('span', { class: 'gen-card__log' });
    return h('div', { class: 'gen-card__placeholder gen-card__placeholder--active' },
      h('span', { class: 'gen-card__placeholder-icon' }, icon('sparkles')),
      el.progress, el.log);
  }
  const failed = generation.status === 'failed';
  return h('div', { class: ['gen-card__placeholder', failed && 'gen-card__placeholder--failed'] },
    h('span', { class: 'gen-card__placeholder-icon' }, icon(failed ? 'alert' : 'x-circle')),
    h('span', { class: 'gen-card__placeholder-text' }, failed ? 'No result' : 'Cancelled'));
}

function updateProgress(el, generation) {
  if (!el.log) return;
  const percent = generation.progress?.percent;
  // A card waiting to retry has no bar (el.progress is null), only its log line.
  if (el.progress && (percent === null || percent === undefined)) el.progress.removeAttribute('value');
  else if (el.progress) el.progress.value = percent;
  const logs = generation.progress?.logs || [];
  const queue = generation.progress?.queue_position;
  el.log.textContent = logs.length ? logs[logs.length - 1]
    : queue !== null && queue !== undefined ? `Position ${queue + 1} in queue`
      : generation.sending ? 'Sending' // not at the server yet: no worker can have it
        : generation.status === 'pending' ? 'Waiting for a worker' : 'Starting';
}

function thumbnail(output, src = thumbnailUrl(output.asset_id), hooks = {}) {
  const w = output.width || THUMB_MAX;
  const hgt = output.height || THUMB_MAX;
  const scale = Math.min(1, THUMB_MAX / Math.max(w, hgt));
  // loading and size before src: setting src first would start the fetch at once.
  const img = h('img', {
    loading: 'lazy',
    decoding: 'async',
    alt: '',
    width: Math.round(w * scale),
    height: Math.round(hgt * scale),
    src,
  });
  // Refused (the request limit, a restart, offline): hidden while it is asked for again, shown
  // when it comes (ui/image-retry.js), or as `hooks` say.
  keepLoading(img, {
    failed: () => img.classList.add('gen-card__img--broken'),
    loaded: () => img.classList.remove('gen-card__img--broken'),
    ...hooks,
  });
  return img;
}

/** A video's first frame (made by the assets service) with a play mark and its length; the
 * caption alone until the asset says it has one, and when it has none (a codec that could not
 * be decoded). The media box keeps its square, so the poster arriving moves nothing. */
function videoPoster(output, count, open) {
  const button = h('button', {
    type: 'button',
    class: 'gen-card__view gen-card__view--video gen-card__placeholder',
    dataset: { action: 'view-media' },
    'aria-label': count > 1 ? `View ${count} videos` : 'View video',
    onclick: open,
  },
  h('span', { class: 'gen-card__placeholder-icon gen-card__play', 'aria-hidden': 'true' }, icon('play')),
  h('span', { class: 'gen-card__more' }, mediaCaption(output)));
  posterOf(output).then((src) => {
    if (!src) return;
    // Hidden (the caption shows) while it is asked for again; gone if it never comes.
    const poster = thumbnail(output, src, {
      failed: () => { poster.classList.add('gen-card__img--broken'); button.classList.add('gen-card__placeholder'); },
      loaded: () => { poster.classList.remove('gen-card__img--broken'); button.classList.remove('gen-card__placeholder'); },
      gaveUp: () => poster.remove(),
    });
    button.classList.remove('gen-card__placeholder');
    button.prepend(poster);
  });
  return button;
}

/** Why an image is black: fal.ai's safety checker withheld it and sent a black one instead. */
function flaggedText(generation) {
  const outputs = generation.status === 'completed' ? generation.outputs || [] : [];
  const count = outputs.filter((output) => output.safety_flagged).length;
  if (!count) return '';
  const which = outputs.length === 1 ? 'this image' : count === outputs.length ? `all ${count} images` : `${count} of ${outputs.length} images`;
  return `fal.ai’s safety checker withheld ${which}: ${count === 1 ? 'it came' : 'they came'} back black. Try another prompt or seed.`;
}

function mediaCaption(output) {
  const kind = { video: 'Video', audio: 'Audio', model3d: '3D model' }[output.media_type] || 'File';
  return output.duration ? `${kind} · ${duration(output.duration)}` : kind;
}

/** What an icon button's name says it acts on ("Delete generation “a heron at dawn”"): twenty
 * cards' buttons all named "Delete" could not be told apart in a screen reader's list. */
function itemName(generation) {
  const prompt = String(generation.prompt || '').trim();
  if (!prompt) return 'generation without a prompt';
  return `generation “${clip(prompt, ITEM_NAME_MAX)}”`;
}

/** A prompt in a message's few words: its first 80 characters, "untitled" when it has none. */
export function shortPrompt(prompt) {
  return clip(prompt, 80) || 'untitled';
}

function actions(el, generation) {
  const act = (name) => (event) => el.options.onAction(name, generation, { button: event.currentTarget });
  const item = itemName(generation);
  // The tooltip keeps the short word; the name starts with it (what is seen is what is said).
  const iconButton = (name, iconName, label, named = `${label} ${item}`) => h('button', {
    type: 'button', class: 'button button--ghost button--icon button--sm', title: label, 'aria-label': named, dataset: { action: name }, onclick: act(name),
  }, icon(iconName, { size: 'sm' }));
  const textButton = (name, iconName, label) => h('button', {
    type: 'button', class: 'button button--sm', dataset: { action: name }, onclick: act(name),
  }, icon(iconName, { size: 'sm' }), label);
  const out = [];
  const outputs = generation.outputs || [];
  if (generation.sending) return out;
  if (ACTIVE.has(generation.status)) {
    if (!generation.cancel_requested) {
      out.push(textButton('cancel', 'x-circle', 'Cancel'));
      return out;
    }
    // Asked once is enough (here and after a reload). Still a button, only inert, so the focus
    // of whoever pressed Cancel stays where it was.
    out.push(h('button', {
      type: 'button', class: 'button button--sm', dataset: { action: 'cancel' }, 'aria-disabled': 'true',
    }, icon('x-circle', { size: 'sm' }), 'Cancelling…'));
    return out;
  }
  // The picture (or the placeholder) above is the one View button: a second one here was a
  // second Tab stop per card for the same thing.
  if (generation.status === 'completed' && outputs.length) {
    const first = outputs[0];
    out.push(h('a', {
      class: 'button button--ghost button--icon button--sm',
      href: api.url(`/assets/${encodeURIComponent(first.asset_id)}/content`, { download: 1 }),
      download: '',
      title: 'Download',
      'aria-label': `Download ${item}`,
      dataset: { action: 'download' },
    }, icon('download', { size: 'sm' })));
  } else {
    out.push(textButton('retry', 'refresh', 'Retry'));
  }
  out.push(iconButton('remix', 'wand', 'Remix'));
  out.push(iconButton('template', 'templates', 'Save as template', `Save as template from ${item}`));
  out.push(h('span', { class: 'gen-card__spacer' }));
  out.push(iconButton('delete', 'trash', 'Delete'));
  return out;
}

function extension(contentType) {
  const sub = String(contentType || '').split('/')[1] || 'bin';
  return { 'gltf-binary': 'glb', 'x-wav': 'wav', wave: 'wav', mpeg: 'mp3', quicktime: 'mov' }[sub] || sub.replace(/[^a-z0-9]/gi, '');
}

// Reference inputs of the generation panel: a drop zone and file picker (uploaded to the
// project with progress), "Pick from project", an image pasted from the clipboard, an asset
// dragged from the gallery (dataTransfer 'application/x-studio-asset'), thumbnails with Remove.
// One message at a time: a new attempt clears the last failure. A file or asset of another
// kind goes to `otherMedia(media, {asset} | {files})`, which may switch to a type that takes
// it (true) or leave the slot to say what it needs (false). The slot holds `limit` files: one
// more is refused, in words at the slot (never the oldest dropped); a slot of one takes a new
// file in place of the one it holds.
//
//   const refs = referencesInput({ projectId, signal, onChange, otherMedia });
//   refs.configure({ mediaType: 'image', limit: 1, owner: 'FLUX.1 Kontext' }); refs.ids(); refs.add(asset); refs.forget(id);

import { api, errorMessage } from '../api.js';
import { h, replace, uniqueId } from '../dom.js';
import { holdPage } from '../leaving.js';
import { bytes } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { metaParts } from '../ui/meta-parts.js';
import { announce } from '../ui/toast.js';
import { oversizeMessage } from '../upload-limit.js';
import { pickAsset } from './asset-picker.js';
import { MEDIA_ICONS } from './catalog.js';

export const ASSET_MIME = 'application/x-studio-asset';
const ACCEPT = { image: 'image/png,image/jpeg,image/webp,image/gif', video: 'video/mp4,video/quicktime,video/webm', audio: 'audio/*' };
const NOUN = { image: 'image', video: 'video', audio: 'sound' };
/** How many refused files a message names before it only counts the rest. */
const NAMED_AT_MOST = 3;
const listing = new Intl.ListFormat('en', { type: 'conjunction' });

export function referencesInput({ projectId, signal, onChange = () => {}, otherMedia = () => false }) {
  let mediaType = 'image';
  let limit = 1;
  let owner = ''; // the model the limit is for, named in the slot's messages
  let items = []; // {key, asset?, file?, preview?, progress, error}
  const labelId = uniqueId('refs-label');
  const fileInput = h('input', { type: 'file', class: 'visually-hidden', tabindex: '-1', 'aria-label': 'Upload a reference file' });
  const list = h('ul', { class: 'refs__list', 'aria-label': 'References' });
  const label = h('span', { class: 'field__label', id: labelId });
  const prompt = h('span', { class: 'refs__text' });
  const choose = h('button', { type: 'button', class: 'button button--sm', onclick: () => fileInput.click() }, icon('upload', { size: 'sm' }), 'Upload');
  const pick = h('button', { type: 'button', class: 'button button--sm', onclick: () => fromProject() }, icon('folder', { size: 'sm' }), 'Pick from project');
  const zone = h('div', { class: 'refs__zone' },
    h('span', { class: 'refs__icon' }, icon('upload')), prompt,
    h('span', { class: 'refs__buttons' }, choose, pick));
  const error = h('p', { class: 'field__error', id: uniqueId('refs-error') });
  const el = h('div', { class: 'field refs', role: 'group', 'aria-labelledby': labelId }, label, zone, list, error, fileInput);
  // Leaving the page cancels the files still being sent (the page's signal): asked first.
  holdPage(() => sendingCount(), signal);
  el.fieldApi = {
    input: choose,
    setError(message) {
      // The newest message is the one that holds: an older failed file goes with it.
      if (message) dropFailures();
      replace(error, message ? [icon('alert', { size: 'sm' }), h('span', message)] : []);
      zone.classList.toggle('refs__zone--invalid', Boolean(message));
    },
  };

  fileInput.addEventListener('change', () => {
    const files = [...fileInput.files];
    fileInput.value = '';
    uploadAll(files);
  });
  let depth = 0;
  el.addEventListener('dragenter', (event) => { if (accepts(event)) { depth += 1; zone.classList.add('refs__zone--over'); } });
  el.addEventListener('dragleave', () => { depth = Math.max(0, depth - 1); if (!depth) zone.classList.remove('refs__zone--over'); });
  el.addEventListener('dragover', (event) => {
    if (!accepts(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  el.addEventListener('drop', (event) => {
    depth = 0;
    zone.classList.remove('refs__zone--over');
    if (!accepts(event)) return;
    event.preventDefault();
    dropped(event.dataTransfer);
  });

  return {
    el,
    configure({ mediaType: type, limit: max, owner: name = '' }) {
      mediaType = type || 'image';
      limit = Math.max(1, max || 1);
      owner = name;
      // The API names a reference file by its place in `input_asset_ids` (not by the model's
      // parameter it fills), so that is the field this slot shows errors for.
      el.dataset.field = 'input_asset_ids';
      fileInput.accept = ACCEPT[mediaType] || '';
      fileInput.multiple = limit > 1;
      label.textContent = limit > 1 ? `Reference ${NOUN[mediaType] || 'file'}s` : `Reference ${NOUN[mediaType] || 'file'}`;
      prompt.textContent = `Drop ${mediaType === 'image' ? 'an image' : `a ${NOUN[mediaType] || 'file'}`} here${mediaType === 'image' ? ', paste one' : ''}, or`;
      items = items.filter((item) => !item.asset || item.asset.media_type === mediaType);
      render();
    },
    ids: () => items.filter((item) => item.asset).map((item) => item.asset.id),
    assets: () => items.filter((item) => item.asset).map((item) => item.asset),
    uploading: () => items.some((item) => !item.asset && !item.error),
    /** Files whose bytes are still on their way (leaving the page would cancel them). */
    sending: () => sendingCount(),
    mediaType: () => mediaType,
    add,
    /** The asset `assetId` leaves the slot (it was deleted); its name, or null if it was not in it. */
    forget(assetId) {
      const item = items.find((other) => other.asset?.id === assetId);
      if (!item) return null;
      const hadFocus = el.contains(document.activeElement);
      items = items.filter((other) => other !== item);
      release(item);
      render();
      if (hadFocus) (list.querySelector('button') || choose).focus();
      return item.asset.name || 'The reference';
    },
    /** Files from outside the slot (the panel's paste and drop): uploaded like picked ones. */
    addFiles: uploadAll,
    /** The slot holds these (a remix's files): all of them, even more than `limit`, which the
     * panel then says (it names what to remove). */
    set(assets) {
      fresh();
      items.forEach(release);
      items = [];
      for (const asset of assets || []) {
        if (asset?.id && !items.some((item) => item.asset?.id === asset.id)) items.push({ key: uniqueId('ref'), asset });
      }
      render();
      onChange();
    },
    /** A clipboard paste anywhere on the page (the panel forwards it): images only. */
    paste(event) {
      const files = [...(event.clipboardData?.files || [])].filter((file) => file.type.startsWith(`${mediaType}/`));
      if (!files.length) return false;
      event.preventDefault();
      uploadAll(files);
      return true;
    },
  };

  /** Files in the slot, on their way or in (not those that failed). */
  function heldCount() {
    return items.filter((item) => !item.error).length;
  }

  function sendingCount() {
    return items.filter((item) => !item.asset && !item.error && (item.progress || 0) < 1).length;
  }

  function accepts(event) {
    const types = [...(event.dataTransfer?.types || [])];
    return types.includes('Files') || types.includes(ASSET_MIME);
  }

  function dropped(data) {
    const raw = data.getData(ASSET_MIME);
    if (raw) {
      let asset = null;
      try {
        asset = JSON.parse(raw);
      } catch {
        el.fieldApi.setError('That item could not be used as a reference.');
        return;
      }
      add(asset);
      return;
    }
    uploadAll(data.files);
  }

  function add(asset) {
    if (!asset?.id) return;
    fresh();
    if (asset.media_type && asset.media_type !== mediaType) {
      if (otherMedia(asset.media_type, { asset })) return;
      el.fieldApi.setError(`This needs ${mediaType === 'image' ? 'an image' : `a ${NOUN[mediaType]}`}; “${asset.name || 'that file'}” is ${asset.media_type === 'image' ? 'an image' : `a ${asset.media_type}`}.`);
      return;
    }
    if (items.some((item) => item.asset?.id === asset.id)) return;
    const attempt = { took: false, refused: [] };
    if (!room(attempt, asset.name || 'that file')) {
      refuse(attempt);
      return;
    }
    make({ asset });
    announce(`Reference added: ${asset.name || 'file'}`);
  }

  /**
   * Whether one more file (`name`) fits, within one attempt (one pick, drop or paste of one or
   * more files): up to `limit`; a slot of one takes the attempt's first file in place of the
   * one it holds (not of several kept from a model that took more: which would go is for the
   * person to say). What does not fit is noted in `attempt.refused`, for `refuse` to say.
   */
  function room(attempt, name) {
    const held = heldCount();
    const fits = held < limit || (limit === 1 && held === 1 && !attempt.took);
    if (fits) attempt.took = true;
    else attempt.refused.push(name);
    return fits;
  }

  /** Say at the slot which files of an attempt were not added, and why. */
  function refuse({ refused }) {
    if (!refused.length) return;
    const noun = NOUN[mediaType] || 'file';
    const takes = limit === 1 ? `one ${noun}` : `up to ${limit} ${noun}s`;
    const named = refused.slice(0, NAMED_AT_MOST).map((name) => `“${name}”`);
    const rest = refused.length - named.length;
    const which = listing.format(rest ? [...named, `${rest} more`] : named);
    const verb = refused.length === 1 ? 'was' : 'were';
    const then = limit === 1 && heldCount() <= 1 ? '' : ' Remove one to add another.';
    el.fieldApi.setError(`${owner || 'This model'} takes ${takes}, so ${which} ${verb} not added.${then}`);
  }

  function make(item) {
    item.key = uniqueId('ref');
    // room() let a slot of one take this file in place of the one it holds.
    if (limit === 1) {
      items.forEach(release);
      items = [];
    }
    items.push(item);
    render();
    onChange();
    return item;
  }

  /** One attempt with one or more files: the last attempt's messages go. */
  function uploadAll(files) {
    fresh();
    const attempt = { took: false, refused: [] };
    [...files].forEach((file) => upload(file, attempt));
    refuse(attempt);
  }

  async function upload(file, attempt) {
    if (file.type && !file.type.startsWith(`${mediaType}/`)) {
      if (otherMedia(file.type.split('/')[0], { files: [file] })) return;
      el.fieldApi.setError(`“${file.name}” is not ${mediaType === 'image' ? 'an image' : `a ${NOUN[mediaType]}`}.`);
      return;
    }
    const tooLarge = oversizeMessage(file);
    if (tooLarge) {
      el.fieldApi.setError(tooLarge);
      return;
    }
    // The same file chosen again would be stored again, as a second asset of the same bytes.
    const same = (other) => other && other.name === file.name && other.size === file.size && other.lastModified === file.lastModified;
    if (items.some((item) => same(item.file))) {
      el.fieldApi.setError(`“${file.name}” is attached already.`);
      return;
    }
    if (!room(attempt, file.name)) return;
    const item = make({ file, preview: file.type.startsWith('image/') ? URL.createObjectURL(file) : null, progress: 0 });
    try {
      const asset = await api.upload(`/projects/${encodeURIComponent(projectId)}/assets`, file, {
        signal,
        onProgress: (sent, total) => {
          item.progress = total ? sent / total : 0;
          if (item.bar) item.bar.value = Math.round(item.progress * 100);
        },
      });
      if (!items.includes(item)) return;
      if (asset.media_type !== mediaType) throw new Error(`“${file.name}” is not ${mediaType === 'image' ? 'an image' : `a ${NOUN[mediaType]}`}.`);
      item.asset = asset;
      announce(`Uploaded ${file.name}`);
    } catch (failure) {
      if (signal?.aborted) return;
      item.error = failure.problem ? errorMessage(failure) : failure.message;
    }
    render();
    onChange();
  }

  /** A new attempt: what the last one said no longer holds. */
  function fresh() {
    el.fieldApi.setError(null);
    dropFailures();
  }

  function dropFailures() {
    const failed = items.filter((item) => item.error);
    if (!failed.length) return;
    failed.forEach(release);
    items = items.filter((item) => !item.error);
    render();
  }

  function release(item) {
    if (item.preview) URL.revokeObjectURL(item.preview);
  }

  function remove(item) {
    items = items.filter((other) => other !== item);
    release(item);
    render();
    onChange();
    (list.querySelector('button') || choose).focus();
  }

  function render() {
    zone.hidden = items.length >= limit && limit === 1 && !items.some((item) => item.error);
    pick.disabled = false;
    replace(list, items.map((item) => {
      const name = item.asset?.name || item.file?.name || 'Reference';
      const src = item.preview || item.asset?.thumbnail_url;
      item.bar = null;
      const status = item.error
        ? h('span', { class: 'refs__error' }, icon('alert', { size: 'sm' }), item.error)
        : item.asset
          ? metaParts([item.asset.width && `${item.asset.width}×${item.asset.height}`, bytes(item.asset.size)], 'refs__meta')
          : (item.bar = h('progress', { class: 'refs__progress', max: 100, value: Math.round((item.progress || 0) * 100), 'aria-label': `Uploading ${name}` }));
      return h('li', { class: ['refs__item', item.error && 'refs__item--error'], dataset: { assetId: item.asset?.id } },
        h('span', { class: 'refs__thumb' }, src
          ? h('img', { src, alt: '', width: 56, height: 56, decoding: 'async' })
          : icon(MEDIA_ICONS[mediaType] || 'file')),
        h('span', { class: 'refs__info' }, h('span', { class: 'refs__name' }, name), status),
        h('button', { type: 'button', class: 'button button--ghost button--icon button--sm', onclick: () => remove(item), title: 'Remove' },
          icon('close', { label: `Remove ${name}`, size: 'sm' })));
    }));
    list.hidden = !items.length;
  }

  async function fromProject() {
    const asset = await pickAsset({ projectId, mediaType });
    if (asset) add(asset);
  }
}

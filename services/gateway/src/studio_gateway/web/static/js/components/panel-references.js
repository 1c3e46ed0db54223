// Reference inputs of the generation panel: a drop zone and file picker (uploaded to the
// project with progress), "Pick from project", a file pasted from the clipboard, an asset
// dragged from the gallery (dataTransfer 'application/x-studio-asset'), thumbnails with Remove.
// The slot takes every kind of file the chosen model takes (an image and a sound for Wan 2.5),
// each kind up to what the server binds of it. When the model sends files to distinct inputs
// (a start and an end frame), the slot lists them in order and each file says which one it
// goes to, as the server will bind it; Move earlier / later reorders files of one kind, and
// "Use as" sends a file to an input it reaches only by naming it (GPT Image's mask): the panel
// then sends `inputs` (`files()`) in place of `input_asset_ids`.
// One message at a time: a new attempt clears the last failure. A file or asset of a kind the
// model does not take goes to `otherMedia(media, {asset} | {files})`, which may switch to a type
// that takes it (true) or leave the slot to say what it needs (false). Files of a kind the
// model does not take are kept aside (not shown, not sent) for the next model that takes them;
// so is a file of a kind its type does not name (a sound) while another type is chosen: it is
// never sent, unseen, as another model's extra. What fits is reference-attempt.js's; what each
// file is for, in words, reference-roles.js's; a file's row, reference-row.js's.
//
//   const refs = referencesInput({ projectId, signal, onChange, otherMedia });
//   refs.configure({ inputs: referenceInputs(model), type: 'image-to-image', kinds: ['image'], owner: 'FLUX.1 Kontext' });
//   refs.ids(); refs.files(); refs.namesInputs(); refs.add(asset); refs.forget(id); refs.set(assets, params);

import { api, errorMessage } from '../api.js';
import { h, replace, uniqueId } from '../dom.js';
import { holdPage } from '../leaving.js';
import { icon } from '../ui/icons.js';
import { announce } from '../ui/toast.js';
import { oversizeMessage } from '../upload-limit.js';
import { pickAsset } from './asset-picker.js';
import { acceptDrops } from './panel-drop.js';
import { newAttempt, refusal, room as roomIn } from './reference-attempt.js';
import { NOT_USED, NOUN, aFile, choicesFor, howToName, kindLimit, planItems, rolesOf } from './reference-roles.js';
import { referenceName as nameOf, referenceRow } from './reference-row.js';

export { ASSET_MIME } from './panel-drop.js';
const ACCEPT = { image: 'image/png,image/jpeg,image/webp,image/gif', video: 'video/mp4,video/quicktime,video/webm', audio: 'audio/*' };
const either = new Intl.ListFormat('en', { type: 'disjunction' });

export function referencesInput({ projectId, signal, onChange = () => {}, otherMedia = () => false }) {
  let inputs = []; // referenceInputs(model): where the server sends each kind's files, in order
  let kinds = ['image']; // the kinds the slot takes, the first the one it is named after
  let type = null; // the generation type chosen, and the kinds it names as its inputs
  let typeKinds = [];
  let limits = { image: 1 };
  let owner = ''; // the model the limits are for, named in the slot's messages
  let items = []; // {key, kind, types (those it was added under), param?, asset?, file?, preview?, progress, error}
  const labelId = uniqueId('refs-label');
  // Reached through Upload only: out of the accessibility tree, where it was a second, unlabelled-looking control.
  const fileInput = h('input', { type: 'file', class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true' });
  const list = h('ul', { class: 'refs__list', 'aria-label': 'References' });
  const label = h('span', { class: 'field__label', id: labelId });
  const plan = h('ol', { class: 'refs__inputs', 'aria-label': 'What this model takes, in order', hidden: true });
  const note = h('p', { class: 'refs__note', hidden: true });
  const prompt = h('span', { class: 'refs__text' });
  const choose = h('button', { type: 'button', class: 'button button--sm', onclick: () => fileInput.click() }, icon('upload', { size: 'sm' }), 'Upload');
  const pick = h('button', { type: 'button', class: 'button button--sm', onclick: () => fromProject() }, icon('folder', { size: 'sm' }), 'Pick from project');
  const zone = h('div', { class: 'refs__zone' },
    h('span', { class: 'refs__icon' }, icon('upload')), prompt,
    h('span', { class: 'refs__buttons' }, choose, pick));
  const error = h('p', { class: 'field__error', id: uniqueId('refs-error') });
  const el = h('div', { class: 'field refs', role: 'group', 'aria-labelledby': labelId }, label, plan, note, zone, list, error, fileInput);
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
  acceptDrops(el, {
    onFiles: (files) => uploadAll(files),
    onAsset: (asset) => add(asset),
    onUnreadable: () => el.fieldApi.setError('That item could not be used as a reference.'),
    over: (on) => zone.classList.toggle('refs__zone--over', on),
  });

  return {
    el,
    /** `inputs`: the model's file inputs (catalog.js `referenceInputs`); `type` and `kinds`:
     * the generation type and the kinds it names (the slot takes those even if no input does). */
    configure({ inputs: modelInputs = [], type: typeId = null, kinds: named = [], owner: name = '' }) {
      inputs = modelInputs;
      type = typeId;
      typeKinds = named;
      kinds = [...new Set([...inputs.map((input) => input.media), ...typeKinds])];
      if (!kinds.length) kinds = ['image'];
      limits = Object.fromEntries(kinds.map((kind) => [kind, kindLimit(inputs, kind)]));
      owner = name;
      // An input chosen under "Use as" holds only for a model that has it.
      for (const item of items) {
        if (item.param && !hasInput(item.param, item.kind)) item.param = null;
      }
      fileInput.accept = kinds.map((kind) => ACCEPT[kind]).filter(Boolean).join(',');
      fileInput.multiple = kinds.reduce((sum, kind) => sum + limits[kind], 0) > 1;
      const only = kinds.length === 1 ? NOUN[kinds[0]] || 'file' : null;
      const optional = inputs.length > 0 && !inputs.some((input) => input.required && input.reachable);
      replace(label,
        only ? `Reference ${only}${limits[kinds[0]] > 1 ? 's' : ''}` : 'References',
        optional && h('span', { class: 'field__optional' }, ' (optional)'));
      render();
    },
    /** The files to send, in order: those of a kind the model takes. */
    ids: () => shown().filter((item) => item.asset).map((item) => item.asset.id),
    /** The same files as the API's `inputs`: each with the input chosen for it under "Use as". */
    files: () => shown().filter((item) => item.asset).map((item) => ({ asset_id: item.asset.id, ...(item.param ? { param: item.param } : {}) })),
    /** Whether a file to send names its input (then `files()` goes as `inputs`). */
    namesInputs,
    assets: () => shown().filter((item) => item.asset).map((item) => item.asset),
    uploading: () => items.some((item) => !item.asset && !item.error),
    /** Files whose bytes are still on their way (leaving the page would cancel them). */
    sending: () => sendingCount(),
    /** Whether the slot takes files of `media` ('image', 'video', 'audio'). */
    takes: (media) => kinds.includes(media),
    kinds: () => [...kinds],
    /** How many files of each kind the slot holds beyond what the model binds: [{kind, limit, extra}]. */
    excess() {
      return kinds.map((kind) => ({ kind, limit: limits[kind], extra: held().filter((item) => item.kind === kind).length - limits[kind] }))
        .filter(({ extra }) => extra > 0);
    },
    /** The required inputs no file goes to yet: [{label, media}]. */
    missing() {
      const { bound } = rolesOf(inputs, held());
      return inputs.filter((input) => input.required && input.reachable && !bound.has(input));
    },
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
    /** The slot holds these (a remix's files): all of them, even more than a kind takes, which
     * the panel then says (it names what to remove). `params[i]`: the input `assets[i]` went
     * to (the record's `inputs`), kept where the file must name it. */
    set(assets, params = []) {
      fresh();
      items.forEach(release);
      items = [];
      (assets || []).forEach((asset, i) => {
        if (!asset?.id || items.some((item) => item.asset?.id === asset.id)) return;
        const param = hasInput(params[i], asset.media_type, { unreachable: true }) ? params[i] : null;
        items.push({ key: uniqueId('ref'), kind: asset.media_type, types: new Set([type]), param, asset });
      });
      render();
      onChange();
    },
    /** A clipboard paste anywhere on the page (the panel forwards it): files the slot takes. */
    paste(event) {
      const files = [...(event.clipboardData?.files || [])].filter((file) => kinds.includes(kindOf(file)));
      if (!files.length) return false;
      event.preventDefault();
      uploadAll(files);
      return true;
    },
  };

  /** What the slot shows: files of a kind it takes (of a kind the type does not name, only
   * those added under this type), and the last attempt's failures. */
  function shown() {
    return items.filter((item) => item.error || (kinds.includes(item.kind) && (typeKinds.includes(item.kind) || item.types.has(type))));
  }

  function namesInputs() {
    return shown().some((item) => item.asset && item.param);
  }

  /** Whether the model has input `name` for files of `kind` (`unreachable`: one that kind and
   * order never send a file to, so a file must name it). */
  function hasInput(name, kind, { unreachable = false } = {}) {
    return inputs.some((input) => input.name === name && input.media === kind && !(unreachable && input.reachable));
  }

  /** Files in the slot of a kind it takes, on their way or in (not those that failed). */
  function held() {
    return shown().filter((item) => !item.error);
  }

  function sendingCount() {
    return items.filter((item) => !item.asset && !item.error && (item.progress || 0) < 1).length;
  }

  /** A file's kind from its type; a file that does not say is taken for the slot's first kind
   * (the upload answers what it is). */
  function kindOf(file) {
    return String(file?.type || '').split('/')[0] || kinds[0];
  }

  function add(asset) {
    if (!asset?.id) return;
    fresh();
    const kind = asset.media_type || kinds[0];
    if (!kinds.includes(kind)) {
      if (otherMedia(kind, { asset })) return;
      el.fieldApi.setError(`This needs ${needs()}; “${asset.name || 'that file'}” is ${aFile(kind)}.`);
      return;
    }
    const twin = items.find((item) => item.asset?.id === asset.id && !item.error);
    if (twin && shown().includes(twin)) return;
    const attempt = newAttempt();
    if (!room(attempt, kind, asset.name || 'that file')) {
      refuse(attempt);
      return;
    }
    const item = twin ? revive(twin) : make({ kind, asset });
    announce(`Reference added: ${asset.name || 'file'}${roleSaid(item)}`);
  }

  /** Whether one more file fits, within one attempt (reference-attempt.js). */
  function room(attempt, kind, name) {
    return roomIn(attempt, { kind, name, limits, held: held() });
  }

  /** Say at the slot which files of an attempt were not added, and why. */
  function refuse(attempt) {
    const said = refusal(attempt, { limits, held: held(), owner });
    if (said) el.fieldApi.setError(said);
  }

  function make(item) {
    item.key = uniqueId('ref');
    item.types = new Set([...(item.types || []), type]);
    // room() let a kind of one take this file in place of the one it holds.
    if (limits[item.kind] === 1) {
      const visible = shown();
      items.filter((other) => visible.includes(other) && (other.kind === item.kind || other.error)).forEach(letGo);
    }
    items.push(item);
    render();
    onChange();
    return item;
  }

  /** A file kept under another type, given again here: the same asset, now in this type's slot too (last). */
  function revive(twin) {
    items = items.filter((item) => item !== twin);
    return make(twin);
  }

  /** The file leaves this type's slot: a file of a kind the type names, or kept by no other
   * type, leaves the panel; one another type also holds stays there. */
  function letGo(item) {
    item.types?.delete(type);
    if (!item.error && !typeKinds.includes(item.kind) && item.types?.size) return;
    items = items.filter((other) => other !== item);
    release(item);
  }

  /** One attempt with one or more files: the last attempt's messages go. */
  function uploadAll(files) {
    fresh();
    const attempt = newAttempt();
    [...files].forEach((file) => upload(file, attempt));
    refuse(attempt);
  }

  async function upload(file, attempt) {
    const kind = kindOf(file);
    if (!kinds.includes(kind)) {
      if (otherMedia(kind, { files: [file] })) return;
      el.fieldApi.setError(`“${file.name}” is not ${needs()}.`);
      return;
    }
    const tooLarge = oversizeMessage(file);
    if (tooLarge) {
      el.fieldApi.setError(tooLarge);
      return;
    }
    // The same file chosen again would be stored again, as a second asset of the same bytes.
    const same = (other) => other && other.name === file.name && other.size === file.size && other.lastModified === file.lastModified;
    const twin = items.find((item) => same(item.file) && !item.error);
    if (twin && shown().includes(twin)) {
      el.fieldApi.setError(`“${file.name}” is attached already.`);
      return;
    }
    if (!room(attempt, kind, file.name)) return;
    if (twin?.asset) {
      // Uploaded already, under another type: that asset, not a second copy of it.
      announce(`Reference added: ${file.name}${roleSaid(revive(twin))}`);
      return;
    }
    const item = make({ kind, file, preview: file.type.startsWith('image/') ? URL.createObjectURL(file) : null, progress: 0 });
    try {
      const asset = await api.upload(`/projects/${encodeURIComponent(projectId)}/assets`, file, {
        signal,
        onProgress: (sent, total) => {
          item.progress = total ? sent / total : 0;
          if (item.bar) item.bar.value = Math.round(item.progress * 100);
        },
      });
      if (!items.includes(item)) return;
      if (!kinds.includes(asset.media_type)) throw new Error(`“${file.name}” is not ${needs()}.`);
      item.asset = asset;
      item.kind = asset.media_type;
      announce(`Uploaded ${file.name}${roleSaid(item)}`);
    } catch (failure) {
      if (signal?.aborted) return;
      item.error = failure.problem ? errorMessage(failure) : failure.message;
    }
    render();
    onChange();
  }

  /** "an image", "an image or a sound": what the slot takes. */
  function needs() {
    return either.format(kinds.map(aFile));
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
    letGo(item);
    render();
    onChange();
    (list.querySelector('.refs__remove') || choose).focus();
  }

  /** Move `item` past the next file of its kind before (-1) or after (1) it: the order a
   * kind's files are bound in. The focus stays on the button pressed, or its twin at an end. */
  function move(item, step) {
    const same = held().filter((other) => other.kind === item.kind);
    const target = same[same.indexOf(item) + step];
    if (!target) return;
    const from = items.indexOf(item);
    const to = items.indexOf(target);
    [items[from], items[to]] = [items[to], items[from]];
    render();
    onChange();
    const row = list.querySelector(`[data-key="${item.key}"]`);
    const pressed = row?.querySelector(step < 0 ? '.refs__move--up' : '.refs__move--down');
    (pressed && !pressed.disabled ? pressed : row?.querySelector('.refs__move:not(:disabled)'))?.focus();
    const role = roleName(item);
    announce(role ? `${nameOf(item)} is now the ${role}` : `${nameOf(item)} moved to place ${same.indexOf(target) + 1} of ${same.length}`);
  }

  /** "end frame": what a held file is for, in a sentence; null where the slot does not say. */
  function roleName(item) {
    const role = rolesOf(inputs, held()).get(item);
    return role && role !== NOT_USED ? role.toLowerCase() : null;
  }

  /** ", as the end frame" for an announcement, when the slot labels its files. */
  function roleSaid(item) {
    const role = roleName(item);
    return role ? `, as the ${role}` : '';
  }

  function render() {
    const visible = shown();
    const roles = rolesOf(inputs, held());
    // Nothing more fits: the zone goes (a kind of one still takes a file dropped on the slot,
    // in place of its own; remove one of several to add another).
    const full = kinds.every((kind) => held().filter((item) => item.kind === kind).length >= limits[kind]);
    // Upload or Pick from project (focus is back on it once its dialog closes) going with the
    // zone would drop the focus to the page: it goes to the newest file's Remove instead.
    const zoneHadFocus = zone.contains(document.activeElement);
    zone.hidden = full && !visible.some((item) => item.error);
    // The kinds that still have room are the ones worth naming.
    const open = kinds.filter((kind) => held().filter((item) => item.kind === kind).length < limits[kind]);
    const named = open.length ? open : kinds;
    prompt.textContent = `Drop ${either.format(named.map(aFile))} here${named.includes('image') ? ', paste one' : ''}, or`;
    pick.disabled = false;
    // What the model takes, in order, and in words any input the studio cannot give.
    const planned = planItems(inputs, roles.bound);
    plan.hidden = !planned.length;
    replace(plan, planned);
    const how = howToName(inputs);
    note.hidden = !how;
    replace(note, how ? [icon('info', { size: 'sm' }), h('span', how)] : []);
    // The API names a reference file by its place in the list it sends (not by the model's
    // parameter it fills), so that is the field this slot shows errors for.
    el.dataset.field = namesInputs() ? 'inputs' : 'input_asset_ids';
    replace(list, visible.map((item) => row(item, roles)));
    list.hidden = !visible.length;
    if (zoneHadFocus && zone.hidden) [...list.querySelectorAll('.refs__remove')].pop()?.focus();
  }

  function row(item, roles) {
    // Move earlier / later only where order decides what a file is: more than one of its kind,
    // and room for more than one.
    const same = item.error ? [] : held().filter((other) => other.kind === item.kind);
    return referenceRow(item, {
      role: item.error ? null : roles.get(item),
      same,
      movable: same.length > 1 && limits[item.kind] > 1,
      choices: item.asset ? choicesFor(inputs, item.kind) : null,
      onMove: (step) => move(item, step),
      onRemove: () => remove(item),
      onChoose: (name) => chooseInput(item, name),
    });
  }

  /** The file goes to input `name` (null: where kind and order send it); focus stays on its choice. */
  function chooseInput(item, name) {
    // An input of one file: the file that had it goes back to where kind and order send it.
    for (const other of items) if (name && other !== item && other.param === name) other.param = null;
    item.param = name;
    render();
    onChange();
    list.querySelector(`[data-key="${item.key}"] .refs__use-select`)?.focus();
    const role = roleName(item);
    announce(role ? `${nameOf(item)} is now the ${role}` : `${nameOf(item)} is not used: one too many`);
  }

  async function fromProject() {
    // One kind: the picker lists only it; several: every file, and one of another kind is refused here in words.
    const asset = await pickAsset({ projectId, mediaType: kinds.length === 1 ? kinds[0] : undefined });
    if (asset) add(asset);
  }
}

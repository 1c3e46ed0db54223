// The model catalog as the studio uses it: the generation types and every model, fetched once
// per page load and shared by the panel, the model dialog and the history (model names).
//
//   const [types, models] = await Promise.all([loadTypes(), loadModels()]);
//   modelsFor(models, 'text-to-image'); defaultModel(models, 'text-to-image'); modelName(id)
//   referenceInputs(model) → where its files go; bindReferences(inputs, ['image', 'image'])
//   await loadUnavailable() → the families it cannot offer (Sora 2), why, and their stand-ins

import { api } from '../api.js';
import { INPUT_FILES_MAX } from '../limits.js';
import { humanize } from '../ui/format.js';

let typesPromise = null;
let modelsPromise = null;
let unavailablePromise = null;
const byId = new Map();

export const TYPE_ICONS = {
  'text-to-image': 'image',
  'image-to-image': 'wand',
  'text-to-video': 'video',
  'image-to-video': 'play',
  'video-to-video': 'refresh',
  'text-to-audio': 'audio',
  'image-to-3d': 'cube',
};

export const MEDIA_ICONS = { image: 'image', video: 'video', audio: 'audio', model3d: 'cube' };

const MEDIA_PARAM_TYPES = new Set(['image', 'video', 'audio', 'images']);

export function loadTypes() {
  typesPromise ||= api.get('/generation-types').catch((error) => {
    typesPromise = null;
    throw error;
  });
  return typesPromise;
}

/** The model families people look for that this studio cannot offer ([{family, provider,
 * reason, stand_ins}], GET /unavailable-models); none when they cannot be had: they only add
 * a word to a search, and the dialog works without them. */
export function loadUnavailable() {
  unavailablePromise ||= api.get('/unavailable-models').then((page) => page.items, () => {
    unavailablePromise = null;
    return [];
  });
  return unavailablePromise;
}

/** Every model (the catalog is small: one or two pages of 200). */
export function loadModels() {
  modelsPromise ||= (async () => {
    const items = [];
    for (let offset = 0; ; offset += 200) {
      const page = await api.get('/models', { limit: 200, offset });
      items.push(...page.items);
      if (!page.items.length || items.length >= page.total) break;
    }
    for (const model of items) byId.set(model.id, model);
    return items;
  })().catch((error) => {
    modelsPromise = null;
    throw error;
  });
  return modelsPromise;
}

export function getModel(id) {
  return byId.get(id) || null;
}

/** A model's name once the catalog is loaded, else its id. */
export function modelName(id) {
  return byId.get(id)?.name || id;
}

export function typeLabel(types, id) {
  return types?.find((t) => t.id === id)?.label || humanize(id);
}

export function modelsFor(models, type) {
  return models.filter((m) => m.types.includes(type));
}

/** The first available recommended model (hosted first, as the API orders them), else the first available. */
export function defaultModel(models, type) {
  const candidates = modelsFor(models, type);
  const available = candidates.filter((m) => m.available);
  const recommended = available.filter((m) => m.recommended);
  recommended.sort((a, b) => (a.runtime === 'local') - (b.runtime === 'local'));
  return recommended[0] || available[0] || candidates[0] || null;
}

export function isMediaParam(spec) {
  return MEDIA_PARAM_TYPES.has(spec?.type);
}

/** The model's file inputs: [{name, spec}] in declaration order. */
export function mediaParams(model) {
  return Object.entries(model?.params || {}).filter(([, spec]) => isMediaParam(spec)).map(([name, spec]) => ({ name, spec }));
}

/** The media type of file a parameter takes (`images` is a list of images). */
const PARAM_MEDIA = { image: 'image', images: 'image', video: 'video', audio: 'audio' };

/**
 * How many reference files of `media` the model takes, as the server binds them
 * (generation service, inputs.py `bind_inputs`): each file goes to the first free parameter of
 * its kind, a list (`images`) taking any number; never more than the API's `INPUT_FILES_MAX` in
 * all. A mask or an end frame of another kind does not count: the slot holds one kind.
 */
export function referenceLimit(model, media = 'image') {
  const params = mediaParams(model).filter(({ spec }) => PARAM_MEDIA[spec.type] === media);
  const count = params.some(({ spec }) => spec.type === 'images') ? INPUT_FILES_MAX : params.length;
  return Math.min(count, INPUT_FILES_MAX) || 1;
}

/**
 * The model's file inputs in the order the server fills them (inputs.py `_free_param`): per
 * kind, required ones first, then as declared. Each is {name, media, list, required, label,
 * reachable}: `label` says in words what the file is for ("Start frame", "Mask"), from the
 * catalog's description; `reachable` is false for one the server never fills, because a list
 * of the same kind before it takes every file of that kind (GPT Image's mask).
 */
export function referenceInputs(model) {
  const inputs = mediaParams(model).map(({ name, spec }, order) => ({
    name,
    media: PARAM_MEDIA[spec.type],
    list: spec.type === 'images',
    required: Boolean(spec.required),
    label: inputLabel(name, spec),
    order,
  }));
  inputs.sort((a, b) => (b.required - a.required) || (a.order - b.order));
  return inputs.map(({ order, ...input }, i) => ({
    ...input,
    reachable: !inputs.slice(0, i).some((other) => other.media === input.media && other.list),
  }));
}

/**
 * Which input each file goes to, for files of the kinds `media` in the order they are sent, as
 * the server binds them: [{input, nth}] (`nth` counts the files a list has taken), or null for
 * a file no input is left for (one too many, or a kind the model does not take). `names[i]`,
 * when given, is the input file i names (the API's `inputs[i].param`): it goes there, and an
 * input of one file that some file names is kept for it.
 */
export function bindReferences(inputs, media, names = []) {
  const taken = new Map();
  const named = new Set(names.filter(Boolean));
  let total = 0;
  return media.map((kind, i) => {
    const input = names[i]
      ? inputs.find((candidate) => candidate.name === names[i] && candidate.media === kind && (candidate.list || !taken.has(candidate)))
      : inputs.find((candidate) => candidate.media === kind && (candidate.list || (!taken.has(candidate) && !named.has(candidate.name))));
    if (!input || total >= INPUT_FILES_MAX) return null;
    total += 1;
    taken.set(input, (taken.get(input) || 0) + 1);
    return { input, nth: taken.get(input) };
  });
}

/** The models that take a file of `media` as a reference, those this server can run first. */
export function modelsTaking(models, media) {
  const takers = models.filter((model) => referenceInputs(model).some((input) => input.media === media && input.reachable));
  return [...takers.filter((m) => m.available), ...takers.filter((m) => !m.available)];
}

/** Whether the model takes a prompt: a `prompt` parameter, or another it sends it as (`prompt_param`). */
export function takesPrompt(model) {
  return Boolean(model && (model.params?.prompt || model.prompt_param));
}

const KIND_LABEL = { image: 'Image', video: 'Video', audio: 'Sound' };

/** What a file input is for, in words: from its description (then its name) when they say, else its kind. */
function inputLabel(name, spec) {
  const media = PARAM_MEDIA[spec.type];
  const text = `${spec.description || ''} ${name.replace(/_/g, ' ')}`.toLowerCase();
  if (/\bmask/.test(text)) return 'Mask';
  if (media === 'image' && /\b(end|last|tail|final)\b/.test(text)) return 'End frame';
  if (media === 'image' && /\b(first frame|start)/.test(text)) return 'Start frame';
  if (/style reference/.test(text)) return 'Style reference';
  if (/image prompt/.test(text)) return 'Image prompt';
  if (media === 'audio' && /background music/.test(text)) return 'Background music';
  if (media === 'audio' && /\bmusic\b/.test(text)) return 'Music';
  if (media === 'video' && /source video/.test(text)) return 'Source video';
  return KIND_LABEL[media] || 'File';
}

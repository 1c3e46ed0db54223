// The model catalog as the studio uses it: the generation types and every model, fetched once
// per page load and shared by the panel, the model dialog and the history (model names).
//
//   const [types, models] = await Promise.all([loadTypes(), loadModels()]);
//   modelsFor(models, 'text-to-image'); defaultModel(models, 'text-to-image'); modelName(id)

import { api } from '../api.js';
import { INPUT_FILES_MAX } from '../limits.js';
import { humanize } from '../ui/format.js';

let typesPromise = null;
let modelsPromise = null;
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

/** Whether the model takes a prompt: a `prompt` parameter, or another it sends it as (`prompt_param`). */
export function takesPrompt(model) {
  return Boolean(model && (model.params?.prompt || model.prompt_param));
}

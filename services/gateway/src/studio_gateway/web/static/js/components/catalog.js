// The model catalog as the studio uses it: the generation types and every model, fetched once
// per page load and shared by the panel, the model dialog and the history (model names).
//
//   const [types, models] = await Promise.all([loadTypes(), loadModels()]);
//   modelsFor(models, 'text-to-image'); defaultModel(models, 'text-to-image'); modelName(id)

import { api } from '../api.js';
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

/** How many reference files the model takes (a list input takes up to 8). */
export function referenceLimit(model) {
  return mediaParams(model).reduce((n, { spec }) => n + (spec.type === 'images' ? 8 : 1), 0) || 1;
}


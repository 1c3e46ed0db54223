// Where a file or gallery asset given to the generation panel goes (pasted, dropped on it,
// handed over with "Use as reference"): to the references slot when the chosen model takes its
// kind, else to a type that takes it, with a model that fits (a toast says so). When no type
// takes it, a toast says which models would, or that none does.
//
//   const files = panelFiles({ el, refs, signal, types: () => types, models: () => models, type: () => typeId,
//     model: () => model, lastModelId: (typeId) => id, setType(typeId, { modelId }) {}, focusWork() {} });
//   files.useReference(asset); files.take(fileList); files.switchFor(media, { asset } | { files }) → false if no type takes it

import { scrollIntoViewGently } from '../dom.js';
import { toast } from '../ui/toast.js';
import { getModel, modelsFor, modelsTaking, referenceInputs } from './catalog.js';
import { mediaOf } from './panel-drop.js';
import { aFile } from './reference-roles.js';

const NO_TYPE_TAKES = 'No generation type takes this kind of file as a reference.';
const listing = new Intl.ListFormat('en', { type: 'conjunction' });
/** How many models' names a message lists before it only counts the rest. */
const MODELS_NAMED = 3;

/** "Local Video", "Veo 3.1 Image to Video ($0.20–0.40/s)": a model, with its price when it costs. */
export function modelSaid(model) {
  return model.runtime === 'local' ? model.name : `${model.name} (${model.price})`;
}

export function panelFiles({ el, refs, signal, types, models, type, model, lastModelId, setType, focusWork }) {
  return { useReference, take, switchFor };

  function useReference(asset) {
    if (!asset || !types().length) return;
    if (!refs.el.hidden && refs.takes(asset.media_type)) {
      refs.add(asset);
    } else if (!switchFor(asset.media_type, { asset })) {
      toast(noTypeTakes(asset.media_type), { kind: 'error', signal });
      return;
    }
    scrollIntoViewGently(el);
    focusWork();
  }

  /** Pasted or dropped files: to the references if they fit, else to a type they fit. */
  function take(files) {
    const media = mediaOf(files[0]);
    if (refs.el.hidden || !refs.takes(media)) {
      if (switchFor(media, { files })) return;
      // No type takes it: a shown slot says what it needs; with none shown, a toast says so.
      if (refs.el.hidden) {
        toast(noTypeTakes(media), { kind: 'error', signal });
        return;
      }
    }
    refs.addFiles(files);
  }

  /** Switch to a type that takes `media` and give it the asset or files; false if none does. */
  function switchFor(media, { asset, files }) {
    const next = typeTaking(media);
    if (!next || next.id === type()) return false;
    const before = model();
    setType(next.id, { modelId: modelForSwitch(next.id, media)?.id });
    const name = asset?.name || files?.[0]?.name;
    // A file must not change the model unsaid: a local one for a paid hosted one costs money.
    const now = model();
    const changed = now && now.id !== before?.id;
    const nowModel = changed ? ` The model is now ${modelSaid(now)}.` : '';
    toast(`Switched to ${next.label} to use ${name ? `“${name}”` : 'it'} as a reference.${nowModel}`, { kind: 'info', signal });
    if (asset) refs.add(asset);
    else refs.addFiles(files);
    return true;
  }

  /** Why a file of `media` cannot be used here: the models that take one, when some do (a
   * sound: Wan 2.5's soundtrack), else that none does. */
  function noTypeTakes(media) {
    const takers = media ? modelsTaking(models(), media) : [];
    if (!takers.length) return NO_TYPE_TAKES;
    const names = takers.slice(0, MODELS_NAMED).map((m) => m.name);
    const rest = takers.length - names.length;
    const which = listing.format(rest ? [...names, `${rest} more`] : names);
    return `${cap(aFile(media))} is taken as a reference only by some models (${which}): choose one of them to use it.`;
  }

  /** The type a file of `media` should move to: the same output if one takes it (a video
   * from text to video → image to video), else the first that takes it. */
  function typeTaking(media) {
    const current = types().find((t) => t.id === type());
    const takes = (t) => Boolean(media) && t.inputs.includes(media);
    return types().find((t) => takes(t) && t.output === current?.output) || types().find(takes) || null;
  }

  /** The model a file that moves the panel to `typeId` brings: the one last used for that
   * type in this project, else one that runs where the current one does (local stays local)
   * and takes the file, else none (the type's default then). */
  function modelForSwitch(typeId, media) {
    const last = getModel(lastModelId(typeId));
    if (last?.available && last.types.includes(typeId)) return last;
    const alike = modelsFor(models(), typeId).filter((m) => m.available && m.runtime === model()?.runtime);
    const taking = alike.filter((m) => referenceInputs(m).some((input) => input.media === media));
    const pool = taking.length ? taking : alike;
    return pool.find((m) => m.recommended) || pool[0] || null;
  }
}

function cap(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

// generation-panel: type (radio group of the seven types), model card (opens the model dialog),
// references for every model that takes a file (of each kind it takes), the prompt
// (Ctrl/Cmd+Enter generates), advanced settings built from the model's schema, and Generate (busy only while the POST is in flight,
// so several can be queued; a lost answer is asked again without making two: send-once.js). Settings are remembered per project; ?type=, ?template=,
// ?starter=, 'studio:remix' and 'studio:use-reference' fill it. A file pasted, or dropped on
// the panel, of a kind the chosen model does not take moves it to a type that does (a toast
// says so). References are kept while a model that takes none is chosen, but only sent with a
// model that takes them. A model chosen in the dialog from another type (its search found it
// there) brings its type. If the catalog cannot be loaded the panel says so, with Try again, and
// asks again by itself while the failure is one that passes (ui/retry.js). A model that takes no
// prompt (a background remover) hides the prompt and says so: what was typed is kept, for
// the next model that takes one, but not sent.
//
//   const panel = createPanel({ projectId, query, signal, onCatalog(types), onSending(body), onCreated(generation) });
//   aside.append(panel.el); panel.focusPrompt(); … panel.destroy();

import { ApiError, api, errorDetail, errorMessage, fieldErrors } from '../api.js';
import { debounce, h, replace, scrollIntoViewGently, uniqueId } from '../dom.js';
import { PROMPT_MAX, PROMPT_COUNTER_FROM } from '../limits.js';
import { live } from '../live.js';
import { sendOnce } from '../send-once.js';
import { prefs } from '../store.js';
import { field, formAlert, showProblem } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { retryBySelf } from '../ui/retry.js';
import { skeleton } from '../ui/skeleton.js';
import { announce, toast } from '../ui/toast.js';
import { TYPE_ICONS, defaultModel, getModel, loadModels, loadTypes, loadUnavailable, modelsFor, modelsTaking, referenceInputs, takesPrompt } from './catalog.js';
import { PENDING_REFERENCE, PENDING_REMIX, takePending } from './handoff.js';
import { KEY_HELP, modelBadges, openModelDialog } from './model-dialog.js';
import { acceptDrops, mediaOf } from './panel-drop.js';
import { paramsForm } from './panel-params.js';
import { referencesInput } from './panel-references.js';
import { NOUN, aFile, labelsFiles } from './reference-roles.js';

const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const NO_TYPE_TAKES = 'No generation type takes this kind of file as a reference.';
const listing = new Intl.ListFormat('en', { type: 'conjunction' });
/** How many models' names a message lists before it only counts the rest. */
const MODELS_NAMED = 3;
const TEMPLATE_GONE = 'This template does not exist: it may have been deleted, or the link is mistyped. The panel keeps its own settings.';
const counting = new Intl.NumberFormat('en');
/** What a generation an earlier press made has come to, when a press is answered with it. */
const ALREADY_FINISHED = { completed: 'has completed', failed: 'failed', cancelled: 'was cancelled' };

export function createPanel({ projectId, query = new URLSearchParams(), signal, onCatalog = () => {}, onSending = () => null, onCreated = () => {} }) {
  const saved = prefs.panelSettings(projectId) || {};
  const state = {
    type: saved.type || 'text-to-image',
    modelByType: { ...(saved.modelByType || {}) },
    paramsByModel: { ...(saved.paramsByModel || {}) },
  };
  let types = [];
  let models = [];
  let model = null;
  let params = null;
  let catalog = 'loading'; // 'loading' | 'failed' | 'ready'
  let catalogError = null;
  let waitingForUpload = false;
  let tooManyShown = false;
  // Asked again by itself while its answer is lost; never made twice (send-once.js).
  const send = sendOnce(`/projects/${encodeURIComponent(projectId)}/generations`);

  const alert = formAlert();
  const typeLabelId = uniqueId('type-label');
  const typeGroup = h('div', { class: 'type-picker', role: 'radiogroup', 'aria-labelledby': typeLabelId },
    Array.from({ length: 7 }, () => skeleton('text', 'type-picker__skeleton')));
  const modelButton = h('button', { type: 'button', class: 'model-card', 'aria-haspopup': 'dialog', disabled: true, onclick: () => chooseModel() },
    skeleton('title'));
  const modelError = h('p', { class: 'field__error' });
  const modelField = h('div', { class: 'field', dataset: { field: 'model_id' } },
    h('span', { class: 'field__label' }, 'Model'), modelButton, modelError);
  modelField.fieldApi = {
    input: modelButton,
    setError(message) { replace(modelError, message ? [icon('alert', { size: 'sm' }), h('span', message)] : []); },
  };
  const refs = referencesInput({
    projectId,
    signal,
    onChange: () => { remember(); uploadSettled(); countSettled(); },
    otherMedia: (media, what) => switchFor(media, what),
  });
  refs.el.hidden = true;
  const promptInput = h('textarea', {
    class: 'textarea gen-panel__prompt',
    dir: 'auto',
    rows: 4,
    maxlength: PROMPT_MAX,
    placeholder: 'Describe what to make: subject, style, light, mood…',
    value: saved.prompt || '',
  });
  const prompt = field({ label: 'Prompt', name: 'prompt', input: promptInput, hint: `${IS_MAC ? '⌘' : 'Ctrl'} + Enter to generate` });
  // Quiet until the prompt nears the API's limit; read with the prompt (aria-describedby).
  const counter = h('p', { class: 'field__counter', id: `${promptInput.id}-count`, hidden: true });
  promptInput.after(counter);
  promptInput.setAttribute('aria-describedby', `${promptInput.getAttribute('aria-describedby')} ${counter.id}`);
  // In the prompt's place for a model that takes none.
  const noPromptText = h('span');
  const noPrompt = h('div', { class: 'field gen-panel__no-prompt', hidden: true },
    h('span', { class: 'field__label' }, 'Prompt'),
    h('p', { class: 'gen-panel__no-prompt-note' }, icon('info', { size: 'sm' }), noPromptText));
  const paramsSlot = h('div', { class: 'gen-panel__params' });
  const reset = h('button', { type: 'button', class: 'button button--ghost button--sm', onclick: () => { params?.reset(); remember(); announce('Settings reset to the model’s defaults'); } },
    icon('refresh', { size: 'sm' }), 'Reset to defaults');
  const advanced = h('details', { class: 'gen-panel__advanced', open: Boolean(saved.advancedOpen) },
    h('summary', { class: 'gen-panel__summary' }, icon('sliders', { size: 'sm' }), h('span', 'Advanced settings'), icon('chevron-down', { size: 'sm', class: 'gen-panel__chevron' })),
    h('div', { class: 'gen-panel__advanced-body' }, paramsSlot, h('div', { class: 'gen-panel__reset' }, reset)));
  advanced.addEventListener('toggle', () => remember());
  const generateButton = h('button', { type: 'submit', class: 'button button--primary button--block gen-panel__generate' }, icon('sparkles'), 'Generate');
  const form = h('form', { class: 'gen-panel__form', novalidate: true },
    alert.el,
    h('div', { class: 'field' }, h('span', { class: 'field__label', id: typeLabelId }, 'Type'), typeGroup),
    modelField,
    refs.el,
    prompt.el,
    noPrompt,
    advanced,
    h('div', { class: 'gen-panel__footer' }, generateButton));
  // A heading of its own, so the panel is found among the page's headings (as its tabs are).
  const headingId = uniqueId('gen-panel-heading');
  const el = h('section', { class: 'gen-panel', 'aria-labelledby': headingId },
    h('h2', { class: 'visually-hidden', id: headingId }, 'Generate'), form);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // A second click while the first is on its way is a double click, not a second job
    // (Ctrl/Cmd+Enter queues another on purpose).
    if (generateButton.getAttribute('aria-busy') !== 'true') generate();
  });
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      generate();
    }
  });
  const rememberSoon = debounce(() => remember(), 300);
  promptInput.addEventListener('input', rememberSoon);
  promptInput.addEventListener('input', () => countPrompt());
  countPrompt();

  const onPaste = (event) => {
    const files = [...(event.clipboardData?.files || [])];
    // Text is the field's own business; a dialog on top (a rename, the viewer) is not ours.
    if (!files.length || catalog !== 'ready' || document.querySelector('dialog[open]')) return;
    if (!refs.el.hidden && refs.paste(event)) return;
    event.preventDefault();
    takeFiles(files);
  };
  const stopDrops = acceptDrops(el, { onFiles: (files) => takeFiles(files), onAsset: (asset) => useReference(asset) });
  // A remix or a reference handed over before the models have loaded (the history shows its
  // cards first on a slow network), or while a template is being applied, waits for them instead
  // of being dropped or overwritten; the latest one wins.
  let takingHandOffs = false;
  let waitingHandOff = null;
  const handOver = (run) => {
    if (takingHandOffs) run();
    else waitingHandOff = run;
  };
  const onReference = (event) => handOver(() => useReference(event.detail?.asset));
  const onRemix = (event) => handOver(() => fill(event.detail?.generation, { remix: true }));
  document.addEventListener('paste', onPaste);
  document.addEventListener('studio:use-reference', onReference);
  document.addEventListener('studio:remix', onRemix);

  const ready = start();
  // "Could not reach the server" is about a moment that has passed once the live stream is back.
  let unreachable = false;
  const offStatus = live.onStatus((online) => {
    if (online && unreachable) {
      unreachable = false;
      alert.hide();
    }
  });

  // "You have 50 generations queued or running" holds until one of them ends (any project's:
  // the limit is the person's).
  let atActiveLimit = false;
  const offEnded = ['generation.completed', 'generation.failed', 'generation.cancelled'].map((name) => live.on(name, () => {
    if (!atActiveLimit) return;
    atActiveLimit = false;
    alert.show('A generation has finished: you can generate again.', 'info');
  }));

  // A reference deleted (in the gallery, the viewer, another tab): it leaves the slot, which
  // showed it as usable until Generate was refused.
  const offDeleted = live.on('asset.deleted', (data) => {
    const name = data?.asset_id && refs.forget(data.asset_id);
    if (!name) return;
    remember();
    toast(`${name} was deleted, so it is no longer a reference.`, { signal });
  });

  return {
    el,
    ready,
    /** `scroll: false` leaves the page where it is (what is typed brings the prompt into sight). */
    focusPrompt({ scroll = true } = {}) { focusWork({ scroll }); },
    destroy() {
      offStatus();
      offDeleted();
      offEnded.forEach((off) => off());
      stopDrops();
      rememberSoon.cancel();
      document.removeEventListener('paste', onPaste);
      document.removeEventListener('studio:use-reference', onReference);
      document.removeEventListener('studio:remix', onRemix);
    },
  };

  async function start() {
    catalog = 'loading';
    try {
      [types, models] = await Promise.all([loadTypes(), loadModels()]);
    } catch (error) {
      if (signal?.aborted) return;
      catalog = 'failed';
      catalogError = error;
      const focused = alert.el.contains(document.activeElement);
      showCatalogFailure();
      if (focused) alert.el.querySelector('.alert__action')?.focus();
      // Quietly, unlike Try again: nobody pressed anything, so focus stays where it is.
      retryBySelf({ key: alert.el, error, retry: start, wanted: () => !signal?.aborted && catalogError === error && catalog === 'failed' });
      return;
    }
    if (signal?.aborted) return;
    // Asked for in the background: a search in the model dialog names them once they are in.
    loadUnavailable();
    catalog = 'ready';
    alert.hide();
    onCatalog(types);
    const wanted = query.get('type');
    if (wanted && types.some((t) => t.id === wanted)) state.type = wanted;
    if (!types.some((t) => t.id === state.type)) state.type = types[0]?.id;
    renderTypes();
    setType(state.type, { focus: false });
    await applyQuery();
    const remixed = takePending(PENDING_REMIX, projectId);
    if (remixed?.generation) await fill(remixed.generation, { remix: true });
    const referenced = takePending(PENDING_REFERENCE, projectId);
    if (referenced?.asset) useReference(referenced.asset);
    const handedOver = waitingHandOff;
    waitingHandOff = null;
    takingHandOffs = true;
    await handedOver?.();
  }

  function showCatalogFailure() {
    alert.show(`The models could not be loaded. ${errorMessage(catalogError)}`, 'error', {
      detail: errorDetail(catalogError),
      action: { label: 'Try again', icon: 'refresh', run: () => retryCatalog() },
    });
  }

  /** Ask the catalog again (nothing failed is kept: catalog.js forgets a failed load). */
  async function retryCatalog() {
    const button = alert.el.querySelector('.alert__action');
    button?.setAttribute('aria-busy', 'true');
    if (button) button.disabled = true;
    await start();
    if (catalog === 'ready') {
      announce('Models loaded');
      focusWork();
    } else {
      alert.el.querySelector('.alert__action')?.focus();
    }
  }

  async function applyQuery() {
    const templateId = query.get('template');
    const starterId = query.get('starter');
    if (templateId || starterId) {
      try {
        let template = null;
        if (templateId) template = await api.get(`/templates/${encodeURIComponent(templateId)}`, undefined, { signal });
        else template = (await api.get('/starter-templates', undefined, { signal })).items.find((t) => t.id === starterId);
        if (!template) throw new Error(`There is no starter template “${starterId}”.`);
        const before = model;
        await fill(template, { remix: false });
        // A template's model (a paid hosted one, say) is named when it replaces the person's.
        const changed = model && model.id !== before?.id;
        toast(`Settings from “${template.name}”${changed ? `: the model is now ${modelSaid(model)}.` : ''}`, { kind: 'info', signal });
      } catch (error) {
        // A template deleted since the link was made, or someone else's (answered alike): said
        // for people, not as the API's "No template '…'" with the id.
        const said = error.status === 404 ? TEMPLATE_GONE : error.problem ? errorMessage(error) : error.message;
        if (!signal?.aborted) alert.show(said);
      }
    }
    if (signal?.aborted) return; // another page's address by now
    // What to open with (a quick action's type, a template), not where the page is: a reload or
    // a step Back must not apply it again over what the person has chosen since.
    const url = new URL(location.href);
    for (const key of ['type', 'template', 'starter']) url.searchParams.delete(key);
    const address = url.pathname + url.search;
    if (address !== location.pathname + location.search) history.replaceState(history.state, '', address);
  }

  function renderTypes() {
    replace(typeGroup, types.map((type) => h('button', {
      type: 'button',
      class: 'type-picker__option',
      role: 'radio',
      'aria-checked': 'false',
      tabindex: '-1',
      dataset: { type: type.id },
      onclick: () => setType(type.id),
    }, icon(TYPE_ICONS[type.id] || 'sparkles'), h('span', type.label))));
    typeGroup.addEventListener('keydown', (event) => {
      const keys = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
      let index = types.findIndex((t) => t.id === state.type);
      if (event.key in keys) index = (index + keys[event.key] + types.length) % types.length;
      else if (event.key === 'Home') index = 0;
      else if (event.key === 'End') index = types.length - 1;
      else return;
      event.preventDefault();
      setType(types[index].id, { focus: true });
    });
  }

  function setType(typeId, { focus = false, modelId = null } = {}) {
    state.type = typeId;
    for (const button of typeGroup.querySelectorAll('[role=radio]')) {
      const on = button.dataset.type === typeId;
      button.setAttribute('aria-checked', String(on));
      button.tabIndex = on ? 0 : -1;
      if (on && focus) button.focus();
    }
    const wanted = getModel(modelId || state.modelByType[typeId]);
    const usable = wanted && wanted.types.includes(typeId) && wanted.available ? wanted : defaultModel(models, typeId);
    setModel(usable);
  }

  function setModel(next) {
    model = next;
    modelField.fieldApi.setError(null);
    if (!model) {
      modelButton.disabled = true;
      replace(modelButton, h('span', { class: 'muted' }, 'No model for this type'));
      return;
    }
    state.modelByType[state.type] = model.id;
    modelButton.disabled = false;
    modelButton.setAttribute('aria-label', `Choose model, ${model.name} selected`);
    replace(modelButton,
      h('span', { class: 'model-card__avatar', 'aria-hidden': 'true' }, model.provider.name.slice(0, 1)),
      h('span', { class: 'model-card__main' },
        h('span', { class: 'model-card__top' },
          h('span', { class: 'model-card__name' }, model.name),
          modelBadges(model, { compact: true })),
        h('span', { class: 'model-card__sub' }, `${model.provider.name} · ${model.price}`)),
      h('span', { class: 'model-card__change', title: 'Change model' }, icon('chevron-right')));

    // The slot shows for every model that takes a file, whatever its type says: an image prompt
    // on a text-to-image model, a soundtrack on a video model.
    const info = types.find((t) => t.id === state.type);
    const inputs = referenceInputs(model);
    refs.el.hidden = !inputs.length && !info?.inputs.length;
    if (!refs.el.hidden) {
      refs.configure({ inputs, type: state.type, kinds: info?.inputs || [], owner: model.name });
      // References chosen for a model that takes more stay (switching back keeps them), but
      // the slot says at once that this one takes fewer.
      showTooMany(tooManyReferences());
    }
    params = paramsForm(model, state.paramsByModel[model.id], () => remember());
    replace(paramsSlot, params.el);
    showPrompt();
    remember();
  }

  /** The prompt, or in its place the note that this model takes none (the text is kept). */
  function showPrompt() {
    const takes = takesPrompt(model);
    const hadFocus = prompt.el.contains(document.activeElement);
    prompt.el.hidden = !takes;
    noPrompt.hidden = takes;
    if (takes) return;
    prompt.setError(null);
    noPromptText.textContent = promptInput.value.trim()
      ? 'This model takes no prompt. What you wrote is kept for models that take one.'
      : 'This model takes no prompt.';
    // Not dropped to the page: the model card is where the person chose it from.
    if (hadFocus) modelButton.focus({ preventScroll: true });
  }

  /** Where the person goes on: the prompt, or Generate when the model takes no prompt. */
  function focusWork({ scroll = true } = {}) {
    (prompt.el.hidden ? generateButton : promptInput).focus({ preventScroll: !scroll });
  }

  async function chooseModel() {
    const chosen = await openModelDialog({ models, types, type: state.type, selectedId: model?.id, unavailable: loadUnavailable() });
    if (!chosen) return;
    if (chosen.type !== state.type) {
      // Found under another type (the dialog offered it): the panel moves there with it.
      setType(chosen.type, { modelId: chosen.model.id });
      announce(`${chosen.model.name} chosen; the type is now ${types.find((t) => t.id === chosen.type)?.label || chosen.type}`);
    } else if (chosen.model.id !== model?.id) {
      setModel(chosen.model);
      announce(`${chosen.model.name} chosen`);
    }
  }

  function remember() {
    if (params && model) state.paramsByModel[model.id] = params.state();
    prefs.setPanelSettings(projectId, {
      type: state.type,
      modelByType: state.modelByType,
      paramsByModel: state.paramsByModel,
      prompt: promptInput.value,
      advancedOpen: advanced.open,
    });
  }

  /** Type, model, prompt, parameters and (for a remix) input files from a generation or template. */
  async function fill(source, { remix }) {
    if (!source || !types.length) return;
    const target = getModel(source.model_id);
    if (types.some((t) => t.id === source.type)) setType(source.type, { modelId: target?.available ? source.model_id : null });
    const values = { ...(source.params || {}) };
    delete values.prompt;
    if (model && model.id === source.model_id) {
      params.reset();
      params.set({ ...values, __seedRandom: values.seed === undefined || values.seed === null });
    } else if (target && !target.available) {
      alert.show(`${target.name} needs a fal.ai key, so ${model?.name || 'another model'} is chosen instead. ${KEY_HELP}`, 'info');
    }
    // A source without a prompt, for a model that takes none, leaves what was typed for others.
    if (source.prompt || takesPrompt(model)) promptInput.value = source.prompt || '';
    countPrompt();
    prompt.setError(null);
    showPrompt();
    if (remix && source.input_asset_ids?.length && !refs.el.hidden) {
      const assets = await Promise.all(source.input_asset_ids.map((id) => api.get(`/assets/${encodeURIComponent(id)}`).catch(() => null)));
      const params = (source.inputs || []).map((input) => input.param);
      refs.set(assets.filter(Boolean), params.filter((_, i) => assets[i]));
    } else if (!refs.el.hidden) {
      refs.set([]);
    }
    remember();
    if (remix) {
      toast('Remixing: the prompt, model and settings are in the panel.', { kind: 'info', signal });
      scrollIntoViewGently(el);
    }
    focusWork();
  }

  function useReference(asset) {
    if (!asset || !types.length) return;
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
  function takeFiles(files) {
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

  /** Why a file of `media` cannot be used here: the models that take one, when some do (a
   * sound: Wan 2.5's soundtrack), else that none does. */
  function noTypeTakes(media) {
    const takers = media ? modelsTaking(models, media) : [];
    if (!takers.length) return NO_TYPE_TAKES;
    const names = takers.slice(0, MODELS_NAMED).map((m) => m.name);
    const rest = takers.length - names.length;
    const which = listing.format(rest ? [...names, `${rest} more`] : names);
    return `${cap(aFile(media))} is taken as a reference only by some models (${which}): choose one of them to use it.`;
  }

  /** The type a file of `media` should move to: the same output if one takes it (a video
   * from text to video → image to video), else the first that takes it. */
  function typeTaking(media) {
    const current = types.find((t) => t.id === state.type);
    const takes = (t) => Boolean(media) && t.inputs.includes(media);
    return types.find((t) => takes(t) && t.output === current?.output) || types.find(takes) || null;
  }

  /** Switch to a type that takes `media` and give it the asset or files; false if none does. */
  function switchFor(media, { asset, files }) {
    const next = typeTaking(media);
    if (!next || next.id === state.type) return false;
    const before = model;
    setType(next.id, { modelId: modelForSwitch(next.id, media)?.id });
    const name = asset?.name || files?.[0]?.name;
    // A file must not change the model unsaid: a local one for a paid hosted one costs money.
    const changed = model && model.id !== before?.id;
    const nowModel = changed ? ` The model is now ${modelSaid(model)}.` : '';
    toast(`Switched to ${next.label} to use ${name ? `“${name}”` : 'it'} as a reference.${nowModel}`, { kind: 'info', signal });
    if (asset) refs.add(asset);
    else refs.addFiles(files);
    return true;
  }

  /** The model a file that moves the panel to `typeId` brings: the one last used for that
   * type in this project, else one that runs where the current one does (local stays local)
   * and takes the file, else none (the type's default then). */
  function modelForSwitch(typeId, media) {
    const last = getModel(state.modelByType[typeId]);
    if (last?.available && last.types.includes(typeId)) return last;
    const alike = modelsFor(models, typeId).filter((m) => m.available && m.runtime === model?.runtime);
    const taking = alike.filter((m) => referenceInputs(m).some((input) => input.media === media));
    const pool = taking.length ? taking : alike;
    return pool.find((m) => m.recommended) || pool[0] || null;
  }

  /** "Wait for the upload to finish" holds only while one is running. */
  function uploadSettled() {
    if (!waitingForUpload || refs.uploading()) return;
    waitingForUpload = false;
    refs.el.fieldApi.setError(null);
  }

  /** "Remove 2" holds only while there are too many. */
  function showTooMany(message) {
    if (!message && !tooManyShown) return;
    tooManyShown = Boolean(message);
    refs.el.fieldApi.setError(message);
  }

  /** Said as soon as the slot holds more than the model takes (a remix's files), and gone once it does not. */
  function countSettled() {
    if (model && !refs.el.hidden) showTooMany(tooManyReferences());
  }

  /** What to say when the slot holds more files of a kind than the chosen model takes, else null. */
  function tooManyReferences() {
    const said = refs.excess().map(({ kind, limit, extra }) => {
      const noun = kind === 'audio' ? 'sound' : kind;
      return `${model.name} takes ${limit === 1 ? `one ${noun}` : `up to ${limit} ${noun}s`}: remove ${extra}.`;
    });
    return said.length ? said.join(' ') : null;
  }

  function countPrompt() {
    const length = promptInput.value.length;
    counter.hidden = length < PROMPT_COUNTER_FROM;
    if (counter.hidden) return;
    counter.textContent = `${counting.format(length)} / ${counting.format(PROMPT_MAX)} characters`;
    counter.classList.toggle('field__counter--full', length >= PROMPT_MAX);
  }

  async function generate() {
    // Never a press that does nothing: say why nothing can be made yet.
    if (catalog === 'loading') {
      alert.show('The models are still loading. Try again in a moment.', 'info');
      return;
    }
    if (catalog === 'failed') {
      showCatalogFailure();
      alert.el.querySelector('.alert__action')?.focus();
      return;
    }
    if (!model) {
      modelField.fieldApi.setError('No model can make this type here. Choose another type.');
      typeGroup.querySelector('[aria-checked=true]')?.focus();
      return;
    }
    alert.hide();
    atActiveLimit = false;
    prompt.setError(null);
    refs.el.fieldApi.setError(null);
    modelField.fieldApi.setError(null);
    form.querySelectorAll('[aria-invalid=true]').forEach((input) => input.closest('.field')?.fieldApi?.setError(null));
    const takes = takesPrompt(model);
    const promptSpec = model.params?.prompt || model.params?.[model.prompt_param];
    if (takes && promptSpec?.required && !promptInput.value.trim()) {
      prompt.setError('Write a prompt first: describe what to make.');
      promptInput.focus();
      return;
    }
    if (!refs.el.hidden) {
      if (refs.uploading()) {
        refs.el.fieldApi.setError('Wait for the upload to finish.');
        waitingForUpload = true;
        return;
      }
      const tooMany = tooManyReferences();
      if (tooMany) {
        showTooMany(tooMany);
        refs.el.querySelector('.refs__remove')?.focus();
        return;
      }
      const [missing] = refs.missing();
      if (missing) {
        // Named by what it is for when the model takes files for distinct inputs (the start frame).
        const role = missing.label.toLowerCase();
        const what = labelsFiles(referenceInputs(model)) && role !== NOUN[missing.media] ? `the ${role} (${aFile(missing.media)})` : aFile(missing.media);
        refs.el.fieldApi.setError(`Add ${what} to start from.`);
        refs.el.querySelector('button')?.focus();
        return;
      }
    }
    if (params && !params.check(() => { advanced.open = true; })) return;
    const body = {
      type: state.type,
      model_id: model.id,
      // Kept in the box for the next model that takes one, but not sent to one that takes none.
      prompt: takes ? promptInput.value : '',
      params: params.values(),
      // Kept in the panel for a model that takes none, but not sent with it; with the input
      // each goes to once one is chosen under "Use as" (GPT Image's mask).
      ...(!refs.el.hidden && refs.namesInputs() ? { inputs: refs.files() } : { input_asset_ids: refs.el.hidden ? [] : refs.ids() }),
    };
    remember();
    // Busy, not disabled: a disabled button drops the focus of whoever pressed it to the page.
    generateButton.setAttribute('aria-busy', 'true');
    const card = onSending(body);
    try {
      const generation = await send(body);
      card?.drop();
      onCreated(generation);
      const finished = ALREADY_FINISHED[generation.status];
      // A press answered with the generation an earlier, unanswered press made (the same
      // request, asked again under its key): it may have run already, and saying "queued"
      // would promise a second one.
      if (finished) toast(`This request was sent before: its generation ${finished}.`, { signal });
      else announce('Generation queued');
    } catch (error) {
      card?.drop();
      const notConfigured = error.problem?.errors?.find((e) => e.type === 'provider_not_configured');
      if (notConfigured) {
        alert.show(notConfigured.msg || KEY_HELP);
      } else {
        const names = Object.keys(fieldErrors(error.problem));
        if (names.some((name) => params?.names.includes(name))) advanced.open = true;
        showProblem(form, error, alert);
        unreachable = !(error instanceof ApiError) && error?.name !== 'AbortError';
        atActiveLimit = error.problem?.type?.endsWith('/too-many-active') === true;
      }
    } finally {
      generateButton.removeAttribute('aria-busy');
    }
  }
}

/** "Local Video", "Veo 3.1 Image to Video ($0.20–0.40/s)": a model, with its price when it costs. */
function modelSaid(model) {
  return model.runtime === 'local' ? model.name : `${model.name} (${model.price})`;
}

function cap(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

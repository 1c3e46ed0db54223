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
// Its parts: the type radios (panel-types.js), the prompt (panel-prompt.js), the catalog's
// loading and retry (panel-catalog.js), where a file goes (panel-files.js), hand-offs
// (panel-handoffs.js), what the references slot is told (panel-reference-checks.js) and
// Generate itself (panel-submit.js).
//
//   const panel = createPanel({ projectId, query, signal, onCatalog(types), onSending(body), onCreated(generation) });
//   aside.append(panel.el); panel.focusPrompt(); … panel.destroy();
//   await panel.ready;   // the models in and what was handed over applied, or their loading failed

import { api } from '../api.js';
import { debounce, h, replace, scrollIntoViewGently, uniqueId } from '../dom.js';
import { live } from '../live.js';
import { prefs } from '../store.js';
import { formAlert } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { skeleton } from '../ui/skeleton.js';
import { announce, toast } from '../ui/toast.js';
import { defaultModel, getModel, loadUnavailable, referenceInputs, takesPrompt } from './catalog.js';
import { KEY_HELP, modelBadges, openModelDialog } from './model-dialog.js';
import { panelCatalog } from './panel-catalog.js';
import { acceptDrops } from './panel-drop.js';
import { panelFiles } from './panel-files.js';
import { panelHandOffs } from './panel-handoffs.js';
import { paramsForm } from './panel-params.js';
import { promptField } from './panel-prompt.js';
import { referenceChecks } from './panel-reference-checks.js';
import { referencesInput } from './panel-references.js';
import { panelSubmit } from './panel-submit.js';
import { typePicker } from './panel-types.js';

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

  const alert = formAlert();
  const typeLabelId = uniqueId('type-label');
  const picker = typePicker({ labelledBy: typeLabelId, current: () => state.type, onPick: (typeId, options) => setType(typeId, options) });
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
    onChange: () => { remember(); checks.settled(); },
    otherMedia: (media, what) => files.switchFor(media, what),
  });
  refs.el.hidden = true;
  const checks = referenceChecks({ refs, model: () => model });
  const prompt = promptField({ value: saved.prompt || '', onInput: () => rememberSoon() });
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
    h('div', { class: 'field' }, h('span', { class: 'field__label', id: typeLabelId }, 'Type'), picker.el),
    modelField,
    refs.el,
    prompt.el,
    prompt.note,
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
    if (generateButton.getAttribute('aria-busy') !== 'true') submit.generate();
  });
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit.generate();
    }
  });
  const rememberSoon = debounce(() => remember(), 300);

  const files = panelFiles({
    el,
    refs,
    signal,
    types: () => types,
    models: () => models,
    type: () => state.type,
    model: () => model,
    lastModelId: (typeId) => state.modelByType[typeId],
    setType,
    focusWork,
  });
  const onPaste = (event) => {
    const pasted = [...(event.clipboardData?.files || [])];
    // Text is the field's own business; a dialog on top (a rename, the viewer) is not ours.
    if (!pasted.length || catalog.status() !== 'ready' || document.querySelector('dialog[open]')) return;
    if (!refs.el.hidden && refs.paste(event)) return;
    event.preventDefault();
    files.take(pasted);
  };
  const stopDrops = acceptDrops(el, { onFiles: (dropped) => files.take(dropped), onAsset: (asset) => files.useReference(asset) });
  document.addEventListener('paste', onPaste);
  const handOffs = panelHandOffs({ projectId, query, signal, alert, model: () => model, fill, useReference: (asset) => files.useReference(asset) });

  const catalog = panelCatalog({ alert, signal, onLoaded: setUp, onRetried: () => focusWork() });
  const ready = catalog.load();
  const submit = panelSubmit({
    projectId,
    signal,
    form,
    alert,
    advanced,
    generateButton,
    catalog,
    typePicker: picker,
    modelField,
    prompt,
    refs,
    checks,
    type: () => state.type,
    model: () => model,
    params: () => params,
    remember,
    onSending,
    onCreated,
  });

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
      submit.destroy();
      offDeleted();
      stopDrops();
      rememberSoon.cancel();
      document.removeEventListener('paste', onPaste);
      handOffs.destroy();
    },
  };

  async function setUp(loadedTypes, loadedModels) {
    types = loadedTypes;
    models = loadedModels;
    onCatalog(types);
    const wanted = query.get('type');
    if (wanted && types.some((t) => t.id === wanted)) state.type = wanted;
    if (!types.some((t) => t.id === state.type)) state.type = types[0]?.id;
    picker.render(types);
    setType(state.type, { focus: false });
    await handOffs.take();
  }

  function setType(typeId, { focus = false, modelId = null } = {}) {
    state.type = typeId;
    picker.check(typeId, { focus });
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
      checks.sayTooMany();
    }
    params = paramsForm(model, state.paramsByModel[model.id], () => remember());
    replace(paramsSlot, params.el);
    showPrompt();
    remember();
  }

  /** The prompt, or in its place the note that this model takes none (the text is kept). */
  function showPrompt() {
    // Not dropped to the page: the model card is where the person chose it from.
    if (prompt.show(takesPrompt(model))) modelButton.focus({ preventScroll: true });
  }

  /** Where the person goes on: the prompt, or Generate when the model takes no prompt. */
  function focusWork({ scroll = true } = {}) {
    (prompt.el.hidden ? generateButton : prompt.input).focus({ preventScroll: !scroll });
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
      prompt: prompt.input.value,
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
    if (source.prompt || takesPrompt(model)) prompt.input.value = source.prompt || '';
    prompt.count();
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
}

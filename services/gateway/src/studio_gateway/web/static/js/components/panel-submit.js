// Generate, for the generation panel: never a press that does nothing (it says why nothing can
// be made yet), the prompt, references and settings checked (the field at fault says why and
// takes the focus), the request body built and sent once (send-once.js: a lost answer is asked
// again without making two), and a refusal said on the fields it names or in the panel's alert,
// which holds while what it says does ("could not reach the server", "50 generations queued").
//
//   const submit = panelSubmit({ projectId, signal, form, alert, advanced, generateButton, catalog, typePicker, modelField,
//     prompt, refs, checks, type: () => typeId, model: () => model, params: () => params, remember, onSending, onCreated });
//   submit.generate(); … submit.destroy();

import { ApiError, fieldErrors } from '../api.js';
import { live } from '../live.js';
import { sendOnce } from '../send-once.js';
import { showProblem } from '../ui/forms.js';
import { announce, toast } from '../ui/toast.js';
import { takesPrompt } from './catalog.js';
import { KEY_HELP } from './model-dialog.js';

/** What a generation an earlier press made has come to, when a press is answered with it. */
const ALREADY_FINISHED = { completed: 'has completed', failed: 'failed', cancelled: 'was cancelled' };

export function panelSubmit(context) {
  const { projectId, signal, form, alert, advanced, generateButton, catalog, typePicker, modelField, prompt, refs, checks } = context;
  // Asked again by itself while its answer is lost; never made twice (send-once.js).
  const send = sendOnce(`/projects/${encodeURIComponent(projectId)}/generations`);
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

  return {
    generate,
    destroy() {
      offStatus();
      offEnded.forEach((off) => off());
    },
  };

  async function generate() {
    if (!checked()) return;
    const model = context.model();
    const params = context.params();
    const takes = takesPrompt(model);
    if (params && !params.check(() => { advanced.open = true; })) return;
    const body = {
      type: context.type(),
      model_id: model.id,
      // Kept in the box for the next model that takes one, but not sent to one that takes none.
      prompt: takes ? prompt.input.value : '',
      params: params.values(),
      // Kept in the panel for a model that takes none, but not sent with it; with the input
      // each goes to once one is chosen under "Use as" (GPT Image's mask).
      ...(!refs.el.hidden && refs.namesInputs() ? { inputs: refs.files() } : { input_asset_ids: refs.el.hidden ? [] : refs.ids() }),
    };
    context.remember();
    // Busy, not disabled: a disabled button drops the focus of whoever pressed it to the page.
    generateButton.setAttribute('aria-busy', 'true');
    const card = context.onSending(body);
    try {
      const generation = await send(body);
      card?.drop();
      context.onCreated(generation);
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
        // The settings as they are now: another model may have been chosen while this was sent.
        if (names.some((name) => context.params()?.names.includes(name))) advanced.open = true;
        showProblem(form, error, alert);
        unreachable = !(error instanceof ApiError) && error?.name !== 'AbortError';
        atActiveLimit = error.problem?.type?.endsWith('/too-many-active') === true;
      }
    } finally {
      generateButton.removeAttribute('aria-busy');
    }
  }

  /** Whether the panel holds something to send (the settings aside); if not, the field at
   * fault says why and takes the focus. */
  function checked() {
    // Never a press that does nothing: say why nothing can be made yet.
    if (catalog.status() === 'loading') {
      alert.show('The models are still loading. Try again in a moment.', 'info');
      return false;
    }
    if (catalog.status() === 'failed') {
      catalog.sayFailure({ focus: true });
      return false;
    }
    const model = context.model();
    if (!model) {
      modelField.fieldApi.setError('No model can make this type here. Choose another type.');
      typePicker.el.querySelector('[aria-checked=true]')?.focus();
      return false;
    }
    alert.hide();
    atActiveLimit = false;
    prompt.setError(null);
    refs.el.fieldApi.setError(null);
    modelField.fieldApi.setError(null);
    form.querySelectorAll('[aria-invalid=true]').forEach((input) => input.closest('.field')?.fieldApi?.setError(null));
    const promptSpec = model.params?.prompt || model.params?.[model.prompt_param];
    if (takesPrompt(model) && promptSpec?.required && !prompt.input.value.trim()) {
      prompt.setError('Write a prompt first: describe what to make.');
      prompt.input.focus();
      return false;
    }
    return checks.pass();
  }
}

// "Save as template": a generation's type, model, prompt and parameters kept under a name
// (POST /api/v1/templates). The seed is left out unless the person keeps it.
//
// Save makes one template per press whatever happens to its answer: the request goes through
// send-once.js (an Idempotency-Key, asked again with it while the answer is lost), and the sender
// outlives the dialog, so Save pressed again after "try again", in this dialog or in one opened
// again for the same generation, sends the same request under the same key and gets the
// template the first one saved.

import { h } from '../dom.js';
import { openDialog } from '../ui/dialog.js';
import { field, formAlert, showProblem, tooLong } from '../ui/forms.js';
import { TEMPLATE_DESCRIPTION_MAX, TEMPLATE_NAME_MAX } from '../limits.js';
import { icon } from '../ui/icons.js';
import { toast } from '../ui/toast.js';
import { sendOnce } from '../send-once.js';
import { isMediaParam, getModel } from './catalog.js';

const sendTemplate = sendOnce('/templates');

/** Template params from a generation's: no prompt (it has its own field), no files, no seed unless kept. */
export function templateParams(params, { keepSeed = false, model = null } = {}) {
  const out = {};
  for (const [name, value] of Object.entries(params || {})) {
    if (name === 'prompt' || (name === 'seed' && !keepSeed)) continue;
    if (model && isMediaParam(model.params?.[name])) continue;
    if (!model && /_urls?$/.test(name)) continue;
    out[name] = value;
  }
  return out;
}

const NAME_SUGGESTED_MAX = 60;

/** The prompt's first words, up to 60 characters: a long prompt is cut between words, not in
 * the middle of one ("…with ferns and", not "…with ferns and l"). */
function suggestedName(prompt) {
  if (!prompt) return 'My template';
  if (prompt.length <= NAME_SUGGESTED_MAX) return prompt;
  const head = prompt.slice(0, NAME_SUGGESTED_MAX + 1);
  const end = head.search(/\s\S*$/);
  const words = end > 0 ? head.slice(0, end) : prompt.slice(0, NAME_SUGGESTED_MAX);
  return words.replace(/[\s,;:.–—-]+$/u, '');
}

export function saveAsTemplate(generation) {
  const prompt = String(generation.prompt || '').trim();
  const name = field({
    label: 'Name',
    name: 'name',
    input: h('input', { class: 'input', required: true, autocomplete: 'off', value: suggestedName(prompt) }),
  });
  const description = field({
    label: 'Description',
    name: 'description',
    optional: true,
    hint: 'What it is good for: shown on its card.',
    input: h('textarea', { class: 'textarea textarea--short', rows: 2 }),
  });
  const seedInput = h('input', { type: 'checkbox', role: 'switch', class: 'switch__input' });
  const hasSeed = generation.params && generation.params.seed !== undefined && generation.params.seed !== null;
  const seed = hasSeed && h('label', { class: 'switch' }, seedInput, h('span', { class: 'switch__track', 'aria-hidden': 'true' }),
    h('span', { class: 'switch__label' }, `Keep the seed (${generation.params.seed}) for the same result`));
  const alert = formAlert();
  const save = h('button', { type: 'button', class: 'button button--primary', onclick: () => submit() }, icon('check'), 'Save template');
  const form = h('form', { class: 'form', novalidate: true }, alert.el, name.el, description.el, seed);
  const handle = openDialog({
    title: 'Save as template',
    description: 'Keep this type, model, prompt and settings to start from again, in any project.',
    content: form,
    actions: [
      h('button', { type: 'button', class: 'button', onclick: () => handle.close() }, 'Cancel'),
      save,
    ],
    initialFocus: () => name.input,
  });
  form.addEventListener('submit', (event) => { event.preventDefault(); submit(); });
  name.input.select();

  async function submit() {
    const value = name.input.value.trim();
    if (!value) {
      name.setError('Give the template a name.');
      name.input.focus();
      return;
    }
    if (tooLong(name, value, TEMPLATE_NAME_MAX)) return;
    const about = description.input.value.trim();
    if (tooLong(description, about, TEMPLATE_DESCRIPTION_MAX)) return;
    save.setAttribute('aria-busy', 'true');
    save.disabled = true;
    try {
      await sendTemplate({
        name: value,
        description: about,
        type: generation.type,
        model_id: generation.model_id,
        prompt: generation.prompt || '',
        params: templateParams(generation.params, { keepSeed: seedInput.checked, model: getModel(generation.model_id) }),
        source_generation_id: generation.id,
      });
      handle.close(true);
      toast(`Saved as template “${value}”`, { kind: 'success', action: { label: 'Open templates', run: () => import('../router.js').then((r) => r.navigate('/studio/templates')) } });
    } catch (error) {
      showProblem(form, error, alert);
    } finally {
      save.removeAttribute('aria-busy');
      save.disabled = false;
    }
  }
  return handle.closed;
}

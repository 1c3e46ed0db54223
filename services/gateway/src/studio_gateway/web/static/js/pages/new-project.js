// New project (/studio/new): name and description, checked here and by the API; then the
// project's page (with ?type= when a quick action sent the person here, ?template= or ?starter=
// when the Templates page did: "Use", then "New project").
//
// Create makes one project per press whatever happens to its answer, as Generate does
// (send-once.js): the request carries an Idempotency-Key, an answer that leaves open whether the
// project was made (none, none in time, a 502–504, a 409 while the key's first try is still
// being accepted) is asked again with the same key after 1, 2 and 4 s, and a press after those
// tries ran out sends the same key again, so the server answers the project it made instead of
// making a second. Unlike Generate's, the key is kept with the draft (`draftKeys`), in this tab's session
// storage, until the project is made: the draft survives a reload, and so does the key, so a
// press after a reload during a hung request cannot make a second project either.

import { h } from '../dom.js';
import { PROJECT_DESCRIPTION_MAX, PROJECT_NAME_MAX } from '../limits.js';
import { sendOnce } from '../send-once.js';
import { prefs } from '../store.js';
import { busy, field, formAlert, showProblem, tooLong } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { toast } from '../ui/toast.js';

const THEN_TYPES = { 'generate-image': 'text-to-image', 'generate-video': 'text-to-video' };
const THEN_WORDS = { 'text-to-image': 'an image', 'text-to-video': 'a video' };
const CARRIED = ['template', 'starter'];

export async function render(main, _params, ctx) {
  const type = THEN_TYPES[ctx.query.get('then')] || ctx.query.get('type');
  const next = new URLSearchParams();
  if (type) next.set('type', type);
  for (const key of CARRIED) if (ctx.query.get(key)) next.set(key, ctx.query.get(key));
  const withTemplate = CARRIED.some((key) => next.has(key));
  const name = field({
    label: 'Name',
    name: 'name',
    input: h('input', { class: 'input', type: 'text', required: true, autocomplete: 'off', placeholder: 'e.g. Autumn campaign' }),
  });
  const description = field({
    label: 'Description',
    name: 'description',
    optional: true,
    hint: 'What the project is for: a brief, a mood, a client. Up to 2,000 characters.',
    input: h('textarea', { class: 'textarea', rows: 4, placeholder: 'Warm, grainy film look for the autumn launch…' }),
  });
  const alert = formAlert();
  const submit = h('button', { type: 'submit', class: 'button button--primary' }, icon('plus'), 'Create project');
  const form = h(
    'form',
    { class: 'form panel', novalidate: true, 'aria-label': 'New project' },
    type && THEN_WORDS[type] &&
      h('p', { class: 'alert alert--info' }, icon('info'), h('span', `Create a project first; you will generate ${THEN_WORDS[type]} in it right after.`)),
    withTemplate &&
      h('p', { class: 'alert alert--info' }, icon('info'), h('span', 'Create a project first; the template’s settings open in it right after.')),
    alert.el,
    name.el,
    description.el,
    h('div', { class: 'form__actions' }, submit, h('a', { class: 'button button--ghost', href: '/studio', onclick: () => { prefs.newProjectDraft = null; } }, 'Cancel')),
  );
  // What is typed is kept for this tab until the project is made: a session that ends meanwhile
  // sends the person to sign in, and back here, with it.
  const draft = prefs.newProjectDraft;
  if (draft) {
    name.input.value = draft.name || '';
    description.input.value = draft.description || '';
  }
  form.addEventListener('input', () => {
    const typed = { name: name.input.value, description: description.input.value };
    // The key of a press whose project may have been made stays with the draft, whatever is
    // typed: sent again with the same name and description, it is the same request.
    const sent = prefs.newProjectDraft?.sent;
    prefs.newProjectDraft = typed.name || typed.description || sent ? { ...typed, sent } : null;
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    alert.hide();
    if (!name.input.value.trim()) {
      name.setError('Give the project a name.');
      name.input.focus();
      return;
    }
    if (tooLong(name, name.input.value.trim(), PROJECT_NAME_MAX)) return;
    if (tooLong(description, description.input.value.trim(), PROJECT_DESCRIPTION_MAX)) return;
    await busy(submit, async () => {
      try {
        const project = await createOnce({ name: name.input.value, description: description.input.value });
        prefs.lastProjectId = project.id;
        prefs.newProjectDraft = null;
        toast(`Project “${project.name}” created.`, { kind: 'success' });
        const suffix = next.toString() ? `?${next}` : '';
        ctx.navigate(`/studio/${encodeURIComponent(project.id)}${suffix}`);
      } catch (error) {
        showProblem(form, error, alert);
      }
    });
  });

  main.append(h('div', { class: 'new-project' },
    form,
    h('aside', { class: 'new-project__aside', 'aria-labelledby': 'new-project-next' },
      h('h2', { id: 'new-project-next' }, 'What happens next'),
      h('ol', { class: 'new-project__steps' },
        h('li', 'Pick a generation type and a model: hosted models from fal.ai, or the offline local ones.'),
        h('li', 'Write a prompt, add reference images, tune the settings.'),
        h('li', 'Watch results arrive in the history; keep the best in the project’s assets.')))));
  name.input.focus();
}

/** Keys of POST /projects kept with the draft (see the top of this file): the same name and
 * description send the same key until the project is made; other ones, a new key. */
const draftKeys = {
  take: () => prefs.newProjectDraft?.sent || null,
  // Kept before the request leaves: a reload while it is out keeps the key with the draft.
  sending: (sent, body) => { prefs.newProjectDraft = { ...body, sent }; },
  unsettled() {},
};
const createOnce = sendOnce('/projects', { keys: draftKeys });

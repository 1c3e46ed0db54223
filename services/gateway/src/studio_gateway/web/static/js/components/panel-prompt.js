// The generation panel's prompt: the box, a character counter that stays quiet until the
// prompt nears the API's limit, and, for a model that takes no prompt (a background remover),
// a note in the box's place: what was typed is kept, for the next model that takes one.
//
//   const prompt = promptField({ value: saved.prompt, onInput() {} });
//   form.append(prompt.el, prompt.note); prompt.input.value; prompt.setError(message); prompt.count();
//   if (prompt.show(takesPrompt(model))) modelButton.focus();   // true: it hid the prompt from under the focus

import { h } from '../dom.js';
import { PROMPT_MAX, PROMPT_COUNTER_FROM } from '../limits.js';
import { field } from '../ui/forms.js';
import { icon } from '../ui/icons.js';

const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const counting = new Intl.NumberFormat('en');

export function promptField({ value = '', onInput = () => {} }) {
  const input = h('textarea', {
    class: 'textarea gen-panel__prompt',
    dir: 'auto',
    rows: 4,
    maxlength: PROMPT_MAX,
    placeholder: 'Describe what to make: subject, style, light, mood…',
    value,
  });
  const prompt = field({ label: 'Prompt', name: 'prompt', input, hint: `${IS_MAC ? '⌘' : 'Ctrl'} + Enter to generate` });
  // Read with the prompt (aria-describedby).
  const counter = h('p', { class: 'field__counter', id: `${input.id}-count`, hidden: true });
  input.after(counter);
  input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby')} ${counter.id}`);
  const noteText = h('span');
  const note = h('div', { class: 'field gen-panel__no-prompt', hidden: true },
    h('span', { class: 'field__label' }, 'Prompt'),
    h('p', { class: 'gen-panel__no-prompt-note' }, icon('info', { size: 'sm' }), noteText));
  input.addEventListener('input', onInput);
  input.addEventListener('input', () => count());
  count();

  return { el: prompt.el, note, input, setError: prompt.setError, count, show };

  function count() {
    const length = input.value.length;
    counter.hidden = length < PROMPT_COUNTER_FROM;
    if (counter.hidden) return;
    counter.textContent = `${counting.format(length)} / ${counting.format(PROMPT_MAX)} characters`;
    counter.classList.toggle('field__counter--full', length >= PROMPT_MAX);
  }

  /** The prompt, or in its place the note; true when the note took the place of a prompt that had the focus. */
  function show(takes) {
    const hadFocus = prompt.el.contains(document.activeElement);
    prompt.el.hidden = !takes;
    note.hidden = takes;
    if (takes) return false;
    prompt.setError(null);
    noteText.textContent = input.value.trim()
      ? 'This model takes no prompt. What you wrote is kept for models that take one.'
      : 'This model takes no prompt.';
    return hadFocus;
  }
}

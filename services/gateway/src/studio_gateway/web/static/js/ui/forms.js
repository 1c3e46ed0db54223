// Form fields with a label, a hint and an error slot wired for screen readers, and the API's
// field errors shown next to the field they concern.
//
//   const name = field({ label: 'Name', name: 'name', input: h('input', { class: 'input', required: true }) });
//   form.append(name.el);
//   name.setError('Give the project a name.');
//   showProblem(form, apiError, formAlertEl);   // field errors at their fields, the rest in the alert

import { errorDetail, errorMessage, fieldErrors } from '../api.js';
import { h, replace, uniqueId } from '../dom.js';
import { icon } from './icons.js';

export function field({ label, name, input, hint, optional = false }) {
  const id = input.id || uniqueId(`field-${name}`);
  input.id = id;
  if (name) input.name = name;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  input.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  const error = h('p', { class: 'field__error', id: errorId });
  const el = h(
    'div',
    { class: 'field', dataset: { field: name } },
    h('label', { class: 'field__label', for: id }, label, optional && h('span', { class: 'field__optional' }, ' (optional)')),
    input,
    hint && h('p', { class: 'field__hint', id: hintId }, hint),
    error,
  );
  const api = {
    el,
    input,
    setError(message) {
      if (message) {
        replace(error, icon('alert', { size: 'sm' }), h('span', message));
        input.setAttribute('aria-invalid', 'true');
      } else {
        replace(error);
        input.removeAttribute('aria-invalid');
      }
    },
  };
  el.fieldApi = api;
  input.addEventListener('input', () => api.setError(null));
  return api;
}

/**
 * An alert box for form-level messages; empty and hidden until set. `detail` (the API's own
 * words, when the message says it otherwise) is the message's tooltip; `action` a button in it.
 */
/**
 * Whether `value` is longer than `max` characters (counted as the API counts them, by code
 * point); if so the field says so and takes the focus. Boxes carry no maxlength: a longer text
 * pasted in was cut short without a word, and saved so.
 */
export function tooLong(field, value, max) {
  const length = [...value].length;
  if (length <= max) return false;
  field.setError(`At most ${max.toLocaleString('en')} characters. This one has ${length.toLocaleString('en')}.`);
  field.input.focus();
  return true;
}

export function formAlert() {
  const el = h('div', { class: 'alert alert--error', role: 'alert', hidden: true });
  return {
    el,
    show(message, kind = 'error', { detail = null, action = null } = {}) {
      el.className = `alert alert--${kind}`;
      replace(el, icon(kind === 'error' ? 'alert' : 'info'), h('span', { title: detail }, message),
        action && h('button', { type: 'button', class: 'button button--sm alert__action', onclick: action.run },
          action.icon && icon(action.icon, { size: 'sm' }), action.label));
      el.hidden = false;
    },
    hide() {
      el.hidden = true;
      replace(el);
    },
  };
}

/**
 * Show an error from the API: each field error at its field (by data-field name), everything
 * else in `alert`. Focuses the first field with an error. Returns true if a field took one.
 */
export function showProblem(form, error, alert) {
  const byField = fieldErrors(error?.problem);
  let first = null;
  const unplaced = [];
  for (const [name, message] of Object.entries(byField)) {
    const wrapper = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    // A hidden field (the reference slot of a type that takes none) cannot show its error.
    if (wrapper?.fieldApi && !wrapper.closest('[hidden]')) {
      wrapper.fieldApi.setError(message);
      first = first || wrapper.fieldApi.input;
    } else {
      unplaced.push(message);
    }
  }
  if (first) first.focus();
  // One file too many twice over is one message, said once.
  if (unplaced.length) alert?.show([...new Set(unplaced)].join(' '));
  else if (!first) alert?.show(errorMessage(error), 'error', { detail: errorDetail(error) });
  else alert?.hide();
  return Boolean(first);
}

/** Mark a submit button busy (spinner, not clickable) while `work` runs. */
export async function busy(button, work) {
  const hadFocus = document.activeElement === button;
  button.setAttribute('aria-busy', 'true');
  button.disabled = true;
  try {
    return await work();
  } finally {
    button.removeAttribute('aria-busy');
    button.disabled = false;
    // Disabling the focused button dropped focus to the page: after a refusal told only in
    // the alert, a keyboard user would start again from the top. Unless the work moved focus
    // (to a field in error, a new page), it comes back to the button.
    const lost = !document.activeElement || document.activeElement === document.body;
    if (hadFocus && lost && button.isConnected) button.focus();
  }
}

// Modal dialogs on the native <dialog>: the page behind is inert, Tab and Shift+Tab go round
// the dialog's own controls (the browser alone would let focus leave for its toolbar), Escape
// closes, and focus returns to what had it before.
//
//   const { dialog, close, closed } = openDialog({ title: 'Choose a model', content, actions });
//   const value = await closed;   // what close(value) was given (undefined on Escape)
//
// `returnFocus()` names where focus goes when what opened the dialog is gone (a file deleted in
// the viewer took its card): the next card, say, rather than the whole page.

import { h, uniqueId } from '../dom.js';
import { icon } from './icons.js';

export function openDialog({ title, description, content, actions, wide = false, className, initialFocus, returnFocus } = {}) {
  const titleId = uniqueId('dialog-title');
  const descId = description ? uniqueId('dialog-desc') : null;
  const returnTo = document.activeElement;
  let result;
  const dialog = h(
    'dialog',
    { class: ['dialog', wide && 'dialog--wide', className], 'aria-labelledby': titleId, 'aria-describedby': descId },
    h(
      'div',
      { class: 'dialog__inner' },
      h(
        'div',
        { class: 'dialog__header' },
        h('h2', { class: 'dialog__title', id: titleId }, title),
        h('button', { type: 'button', class: 'button button--ghost button--icon button--sm', onclick: () => close() },
          icon('close', { label: 'Close', size: 'sm' })),
      ),
      description && h('p', { class: 'dialog__body', id: descId }, description),
      content,
      actions && h('div', { class: 'dialog__actions' }, actions),
    ),
  );
  const closed = new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (returnTo && typeof returnTo.focus === 'function' && returnTo.isConnected) returnTo.focus();
      // What opened it is gone (a card deleted meanwhile): the place the opener names, else the
      // page's content, never the body.
      else (returnFocus?.() || document.getElementById('main'))?.focus();
      resolve(result);
    });
  });
  dialog.addEventListener('keydown', (event) => keepFocusInside(dialog, event));
  // A click on the backdrop (the dialog element itself, outside its inner box) closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) close();
  });
  function close(value) {
    result = value;
    if (dialog.open) dialog.close();
  }
  document.body.append(dialog);
  dialog.showModal();
  (typeof initialFocus === 'function' ? initialFocus(dialog) : initialFocus)?.focus();
  return { dialog, close, closed };
}

const FOCUSABLE = 'a[href], button, input, select, textarea, video[controls], audio[controls], [tabindex]:not([tabindex="-1"])';

/** Tab from the last control goes to the first, Shift+Tab from the first to the last (dialogs,
 * and the phone menu while it is open). */
export function keepFocusInside(dialog, event) {
  if (event.key !== 'Tab' || event.defaultPrevented) return;
  const controls = [...dialog.querySelectorAll(FOCUSABLE)]
    .filter((el) => !el.disabled && !el.closest('[hidden], [inert]') && el.getClientRects().length > 0);
  if (!controls.length) return;
  const first = controls[0];
  const last = controls[controls.length - 1];
  const active = document.activeElement;
  if (event.shiftKey && (active === first || !dialog.contains(active))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
    event.preventDefault();
    first.focus();
  }
}

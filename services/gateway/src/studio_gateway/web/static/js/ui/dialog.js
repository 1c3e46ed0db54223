// Modal dialogs on the native <dialog>: focus is trapped by the browser, Escape closes, and
// focus returns to what had it before.
//
//   const { dialog, close, closed } = openDialog({ title: 'Choose a model', content, actions });
//   const value = await closed;   // what close(value) was given (undefined on Escape)

import { h, uniqueId } from '../dom.js';
import { icon } from './icons.js';

export function openDialog({ title, description, content, actions, wide = false, className, initialFocus } = {}) {
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
      resolve(result);
    });
  });
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

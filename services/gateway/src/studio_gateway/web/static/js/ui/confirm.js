// Ask before something that cannot be undone.
//
//   if (await confirmDialog({ title: 'Revoke token?', body: '…', confirmLabel: 'Revoke', danger: true })) …

import { h } from '../dom.js';
import { openDialog } from './dialog.js';

export function confirmDialog({ title, body, confirmLabel = 'Confirm', cancelLabel = 'Cancel', danger = false }) {
  let confirmButton;
  let cancelButton;
  const handle = openDialog({
    title,
    description: body,
    actions: [
      (cancelButton = h('button', { type: 'button', class: 'button', onclick: () => handle.close(false) }, cancelLabel)),
      (confirmButton = h('button', {
        type: 'button',
        class: ['button', danger ? 'button--danger' : 'button--primary'],
        onclick: () => handle.close(true),
      }, confirmLabel)),
    ],
    // A destructive action is not the default: Enter on the first focus cancels.
    initialFocus: () => (danger ? cancelButton : confirmButton),
  });
  handle.dialog.setAttribute('role', 'alertdialog');
  return handle.closed.then((value) => value === true);
}

// Rename something in a dialog, and delete something after asking: the two actions the gallery's
// assets and the Templates page's own templates share.
//
//   const updated = await renameDialog({
//     title: 'Rename asset', current: asset.name, empty: 'Give the asset a name.',
//     save: async (value) => api.patch(`/assets/${id}`, { name: value }, { signal }),
//   });   // the updated object, or null (cancelled, or the name did not change)
//
//   const outcome = await confirmDelete({ name: asset.name, body: '…', signal,
//     remove: () => api.del(`/assets/${id}`, { signal }), retry: () => removeAsset(asset) });
//   // 'deleted', 'gone' (a 404: someone else deleted it), or null (cancelled, or failed: a toast
//   // with Retry said so)

import { errorMessage, fieldErrors } from '../api.js';
import { h } from '../dom.js';
import { confirmDialog } from './confirm.js';
import { openDialog } from './dialog.js';
import { busy, field, formAlert, tooLong } from './forms.js';
import { toast } from './toast.js';

/**
 * A dialog with one text field. `save(value)` runs on Save with the trimmed new value and returns
 * the updated object; the API's error for `name` is shown at the field, anything else above it.
 */
export async function renameDialog({ title, label = 'Name', current, hint, maxlength = 255, empty = 'Give it a name.', save }) {
  // No maxlength on the box: a longer name pasted in was cut short without a word (an asset's
  // extension with it); it is kept whole and refused at Save, saying how long it may be.
  const input = h('input', { class: 'input', type: 'text', value: current, autocomplete: 'off', required: true });
  const name = field({ label, name: 'name', input, hint });
  const alert = formAlert();
  const saveButton = h('button', { type: 'submit', class: 'button button--primary' }, 'Save');
  let handle;
  const form = h('form', { class: 'form', novalidate: true }, alert.el, name.el,
    h('div', { class: 'dialog__actions' },
      h('button', { type: 'button', class: 'button', onclick: () => handle.close() }, 'Cancel'), saveButton));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    alert.hide();
    const value = input.value.trim();
    if (!value) {
      name.setError(empty);
      input.focus();
      return;
    }
    if (tooLong(name, value, maxlength)) return;
    if (value === current) {
      handle.close();
      return;
    }
    await busy(saveButton, async () => {
      try {
        handle.close(await save(value));
      } catch (error) {
        const errors = fieldErrors(error?.problem);
        if (errors.name) {
          name.setError(errors.name);
          input.focus();
        } else {
          alert.show(errorMessage(error));
        }
      }
    });
  });
  handle = openDialog({ title, content: form, initialFocus: () => input });
  input.select();
  return (await handle.closed) ?? null;
}

/** Ask, then `remove()`. A 404 means it is already gone; any other failure is a toast with Retry. */
export async function confirmDelete({ name, body, confirmLabel = 'Delete', remove, signal, retry }) {
  const ok = await confirmDialog({ title: `Delete “${name}”?`, body, confirmLabel, danger: true });
  if (!ok) return null;
  try {
    await remove();
    return 'deleted';
  } catch (error) {
    if (signal?.aborted) return null;
    if (error?.status === 404) return 'gone';
    // Retry works only on the page that asked: the toast goes with it.
    toast(errorMessage(error), { kind: 'error', signal, action: { label: 'Retry', run: retry } });
    return null;
  }
}

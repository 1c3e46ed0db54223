// Uploads for the gallery: a tray with one row per file (name, progress bar, result), files sent
// three at a time with api.upload. `uploadAll(files, projectId)` resolves when all are done;
// `onUploaded(asset)` is called for each file the API accepted. Each row can be cancelled while
// it waits or sends (a 50 MB file on a slow line takes minutes); once every byte is sent the
// server is already making the asset, so Cancel goes away rather than promise what it cannot.
// A file that failed for a reason that passes (the connection, a service down, no answer in
// time) keeps its row with Try again, which sends it once more in the same row; a refusal (too
// large, not a picture) can only be dismissed. Files waiting or being sent are what leaving the
// page would cancel: the router asks first (leaving.js). A row leaving with focus inside (its ✕,
// or a finished row going) hands focus to the next row, else the one before, else `fallbackFocus()`
// (the gallery's Upload button). The start of the uploads and their success are announced; their
// failure is the caller's to say (the gallery's toast), so it is not read twice.

import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import { holdPage } from '../leaving.js';
import { bytes } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { passes } from '../ui/retry.js';
import { announce } from '../ui/toast.js';
import { oversizeMessage } from '../upload-limit.js';

const PARALLEL = 3;
const DONE_LINGER_MS = 2500;

export function uploadTray({ signal, onUploaded, fallbackFocus = () => null }) {
  const list = h('ul', { class: 'upload-tray__list' });
  const el = h('section', { class: 'upload-tray', 'aria-label': 'Uploads', hidden: true }, list);
  const sending = new Set(); // rows waiting or with bytes on their way
  holdPage(() => sending.size, signal);

  function sync() {
    el.hidden = list.children.length === 0;
  }

  /** Take a row off; focus inside it goes to a neighbour's button (never to the body). */
  function removeRow(item) {
    if (!item.isConnected) return;
    const hadFocus = item.contains(document.activeElement);
    const rows = [...list.children];
    const at = rows.indexOf(item);
    item.remove();
    sync();
    if (!hadFocus) return;
    const control = (row) => [...row.querySelectorAll('button')].find((button) => !button.hidden);
    const next = rows.slice(at + 1).map(control).find(Boolean) || rows.slice(0, at).reverse().map(control).find(Boolean);
    (next || fallbackFocus())?.focus();
  }

  function row(file) {
    let controller = new AbortController();
    let again = null;
    const bar = h('progress', { class: 'upload-row__bar', max: 100, value: 0, 'aria-label': `Uploading ${file.name}` });
    const status = h('span', { class: 'upload-row__status' }, `0% of ${bytes(file.size)}`);
    const retry = h('button', {
      type: 'button',
      class: 'button button--ghost button--sm',
      hidden: true,
      onclick: () => again?.(),
    }, icon('refresh', { size: 'sm' }), 'Try again');
    // The visible words first, so a person who says "click Try again" reaches it (WCAG 2.5.3).
    retry.setAttribute('aria-label', `Try again to upload ${file.name}`);
    const dismiss = h('button', {
      type: 'button',
      class: 'button button--ghost button--icon button--sm',
      hidden: true,
      onclick: () => removeRow(item),
    }, icon('close', { label: `Dismiss ${file.name}`, size: 'sm' }));
    const cancel = h('button', {
      type: 'button',
      class: 'button button--ghost button--icon button--sm',
      onclick: () => controller.abort(),
    }, icon('close', { label: `Cancel upload of ${file.name}`, size: 'sm' }));
    const item = h('li', { class: 'upload-row' },
      h('span', { class: 'upload-row__icon' }, icon('upload', { size: 'sm' })),
      h('span', { class: 'upload-row__main' },
        h('span', { class: 'upload-row__name', title: file.name }, file.name),
        bar,
        status),
      retry,
      cancel,
      dismiss);
    list.append(item);
    sync();
    // Once every byte is sent (or the row has ended) leaving the page loses nothing of it.
    const settled = () => sending.delete(ui);
    function linger() {
      setTimeout(() => removeRow(item), DONE_LINGER_MS);
    }
    const ui = {
      get signal() { return controller.signal; },
      cancel: () => controller.abort(),
      progress(sent, total) {
        const pct = total ? Math.min(100, Math.round((sent / total) * 100)) : 0;
        bar.value = pct;
        status.textContent = pct >= 100 ? 'Processing…' : `${pct}% of ${bytes(total || file.size)}`;
        if (pct >= 100) {
          cancel.hidden = true;
          settled(); // the server makes the asset whatever happens here
        }
      },
      cancelled() {
        settled();
        item.classList.add('upload-row--cancelled');
        bar.hidden = true;
        cancel.hidden = true;
        status.textContent = 'Cancelled';
        announce(`Upload of ${file.name} cancelled.`);
        linger();
      },
      done() {
        settled();
        cancel.hidden = true;
        item.classList.add('upload-row--done');
        bar.value = 100;
        replace(item.querySelector('.upload-row__icon'), icon('check-circle', { size: 'sm' }));
        status.textContent = 'Uploaded';
        linger();
      },
      failed(message, sendAgain = null) {
        settled();
        cancel.hidden = true;
        item.classList.add('upload-row--failed');
        bar.hidden = true;
        replace(item.querySelector('.upload-row__icon'), icon('alert', { size: 'sm' }));
        status.textContent = message;
        status.setAttribute('role', 'alert');
        dismiss.hidden = false;
        again = sendAgain;
        retry.hidden = !sendAgain;
      },
      /** Back to a row on its way, for Try again; the focus goes to its Cancel. */
      restart() {
        const focused = item.contains(document.activeElement);
        controller = new AbortController();
        sending.add(ui);
        item.classList.remove('upload-row--failed');
        status.removeAttribute('role');
        replace(item.querySelector('.upload-row__icon'), icon('upload', { size: 'sm' }));
        bar.hidden = false;
        bar.value = 0;
        status.textContent = `0% of ${bytes(file.size)}`;
        retry.hidden = true;
        dismiss.hidden = true;
        cancel.hidden = false;
        if (focused) cancel.focus();
      },
    };
    sending.add(ui);
    return ui;
  }

  /** Send one file in its row: 'ok', 'failed', 'cancelled', or 'left' (the page was left). */
  async function send(path, file, ui) {
    const tooLarge = oversizeMessage(file);
    if (tooLarge) {
      ui.failed(tooLarge);
      return 'failed';
    }
    try {
      const asset = await api.upload(path, file, { signal: ui.signal, onProgress: (sent, total) => ui.progress(sent, total) });
      ui.done();
      onUploaded(asset);
      return 'ok';
    } catch (error) {
      if (signal?.aborted) return 'left';
      if (ui.signal.aborted) {
        ui.cancelled();
        return 'cancelled';
      }
      ui.failed(errorMessage(error), passes(error) ? () => sendAgain(path, file, ui) : null);
      return 'failed';
    }
  }

  async function sendAgain(path, file, ui) {
    ui.restart();
    announce(`Uploading ${file.name} again.`);
    if (await send(path, file, ui) === 'ok') announce(`${file.name} uploaded.`);
  }

  async function uploadAll(files, projectId) {
    const queue = [...files].map((file) => ({ file, ui: row(file) }));
    // Leaving the page cancels what is still being sent.
    for (const { ui } of queue) signal?.addEventListener('abort', () => ui.cancel(), { once: true });
    let ok = 0;
    let failed = 0;
    const path = `/projects/${encodeURIComponent(projectId)}/assets`;
    announce(files.length === 1 ? `Uploading ${files[0].name}.` : `Uploading ${files.length} files.`);
    async function worker() {
      while (queue.length) {
        const { file, ui } = queue.shift();
        if (ui.signal.aborted) {
          ui.cancelled();
          continue;
        }
        const result = await send(path, file, ui);
        if (result === 'left') return;
        if (result === 'ok') ok += 1;
        else if (result === 'failed') failed += 1;
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
    if (signal?.aborted) return { ok, failed };
    if (ok && !failed) announce(ok === 1 ? 'File uploaded.' : `${ok} files uploaded.`);
    return { ok, failed };
  }

  return { el, uploadAll };
}

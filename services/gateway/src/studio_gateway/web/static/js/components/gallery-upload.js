// Uploads for the gallery: a tray with one row per file (name, progress bar, result), files sent
// three at a time with api.upload. `uploadAll(files, projectId)` resolves when all are done;
// `onUploaded(asset)` is called for each file the API accepted. Each row can be cancelled while
// it waits or sends (a 50 MB file on a slow line takes minutes); once every byte is sent the
// server is already making the asset, so Cancel goes away rather than promise what it cannot.

import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import { bytes } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { announce } from '../ui/toast.js';
import { oversizeMessage } from '../upload-limit.js';

const PARALLEL = 3;
const DONE_LINGER_MS = 2500;

export function uploadTray({ signal, onUploaded }) {
  const list = h('ul', { class: 'upload-tray__list' });
  const el = h('section', { class: 'upload-tray', 'aria-label': 'Uploads', hidden: true }, list);

  function sync() {
    el.hidden = list.children.length === 0;
  }

  function row(file) {
    const controller = new AbortController();
    const bar = h('progress', { class: 'upload-row__bar', max: 100, value: 0, 'aria-label': `Uploading ${file.name}` });
    const status = h('span', { class: 'upload-row__status' }, `0% of ${bytes(file.size)}`);
    const dismiss = h('button', {
      type: 'button',
      class: 'button button--ghost button--icon button--sm',
      hidden: true,
      onclick: () => { item.remove(); sync(); },
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
      cancel,
      dismiss);
    list.append(item);
    sync();
    function linger() {
      setTimeout(() => { item.remove(); sync(); }, DONE_LINGER_MS);
    }
    return {
      signal: controller.signal,
      cancel: () => controller.abort(),
      progress(sent, total) {
        const pct = total ? Math.min(100, Math.round((sent / total) * 100)) : 0;
        bar.value = pct;
        status.textContent = pct >= 100 ? 'Processing…' : `${pct}% of ${bytes(total || file.size)}`;
        if (pct >= 100) cancel.hidden = true;
      },
      cancelled() {
        item.classList.add('upload-row--cancelled');
        bar.hidden = true;
        cancel.hidden = true;
        status.textContent = 'Cancelled';
        announce(`Upload of ${file.name} cancelled.`);
        linger();
      },
      done() {
        cancel.hidden = true;
        item.classList.add('upload-row--done');
        bar.value = 100;
        replace(item.querySelector('.upload-row__icon'), icon('check-circle', { size: 'sm' }));
        status.textContent = 'Uploaded';
        linger();
      },
      failed(message) {
        cancel.hidden = true;
        item.classList.add('upload-row--failed');
        bar.hidden = true;
        replace(item.querySelector('.upload-row__icon'), icon('alert', { size: 'sm' }));
        status.textContent = message;
        status.setAttribute('role', 'alert');
        dismiss.hidden = false;
      },
    };
  }

  async function uploadAll(files, projectId) {
    const queue = [...files].map((file) => ({ file, ui: row(file) }));
    // Leaving the page cancels what is still being sent.
    for (const { ui } of queue) signal?.addEventListener('abort', () => ui.cancel(), { once: true });
    let ok = 0;
    let failed = 0;
    const path = `/projects/${encodeURIComponent(projectId)}/assets`;
    async function worker() {
      while (queue.length) {
        const { file, ui } = queue.shift();
        if (ui.signal.aborted) {
          ui.cancelled();
          continue;
        }
        const tooLarge = oversizeMessage(file);
        if (tooLarge) {
          ui.failed(tooLarge);
          failed += 1;
          continue;
        }
        try {
          const asset = await api.upload(path, file, { signal: ui.signal, onProgress: (sent, total) => ui.progress(sent, total) });
          ui.done();
          ok += 1;
          onUploaded(asset);
        } catch (error) {
          if (signal?.aborted) return;
          if (ui.signal.aborted) {
            ui.cancelled();
            continue;
          }
          ui.failed(errorMessage(error));
          failed += 1;
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
    if (signal?.aborted) return { ok, failed };
    if (ok && !failed) announce(ok === 1 ? 'File uploaded.' : `${ok} files uploaded.`);
    else if (failed) announce(`${failed} of ${ok + failed} uploads failed.`);
    return { ok, failed };
  }

  return { el, uploadAll };
}

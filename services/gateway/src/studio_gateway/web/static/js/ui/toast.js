// Toasts (visible, in an aria-live region) and announce() for screen-reader-only messages.
//
//   toast('Project deleted', { kind: 'success', action: { label: 'Undo', run: restore } });
//   toast(errorMessage(err), { kind: 'error', action: { label: 'Retry', run: retry } });
//   toast(`Settings from “${name}”`, { signal: ctx.signal });   // about this page: goes with it
//
// Toasts live outside the page, so by default they outlast a navigation ("Deleted …" is still
// worth reading on the next page). One about the page itself, or whose action only works
// there, takes the page's `signal` and closes when the page is left.

import { h } from '../dom.js';
import { icon } from './icons.js';

const KIND_ICON = { info: 'info', success: 'check-circle', error: 'alert' };
const TIMEOUT_MS = { info: 5000, success: 4000, error: 9000 };

function region() {
  let el = document.getElementById('toasts');
  if (!el) {
    el = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(el);
  }
  return el;
}

export function toast(message, { kind = 'info', action, timeout, signal } = {}) {
  if (signal?.aborted) return () => {};
  const close = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', close);
    item.remove();
  };
  const item = h(
    'div',
    { class: ['toast', `toast--${kind}`] },
    h('span', { class: 'toast__icon' }, icon(KIND_ICON[kind] || 'info')),
    h('span', { class: 'toast__message' }, message),
    action &&
      h('button', { type: 'button', class: 'button button--sm', onclick: () => { close(); action.run(); } }, action.label),
    h('button', { type: 'button', class: 'button button--ghost button--icon button--sm', onclick: close },
      icon('close', { label: 'Dismiss', size: 'sm' })),
  );
  region().append(item);
  let timer = setTimeout(close, timeout ?? TIMEOUT_MS[kind] ?? 5000);
  signal?.addEventListener('abort', close, { once: true });
  // Keep it while the pointer or focus is on it (someone is about to press its action).
  item.addEventListener('pointerenter', () => clearTimeout(timer));
  item.addEventListener('focusin', () => clearTimeout(timer));
  item.addEventListener('pointerleave', () => { timer = setTimeout(close, 3000); });
  return close;
}

/** Say something to screen readers only (status changes). */
export function announce(message) {
  let el = document.getElementById('announcer');
  if (!el) {
    el = h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite' });
    document.body.append(el);
  }
  el.textContent = '';
  requestAnimationFrame(() => { el.textContent = message; });
}

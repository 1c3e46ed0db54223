// Toasts (visible, in an aria-live region) and announce() for screen-reader-only messages.
//
//   toast('Project deleted', { kind: 'success', action: { label: 'Undo', run: restore } });
//   toast(errorMessage(err), { kind: 'error', action: { label: 'Retry', run: retry } });
//   toast(`Settings from “${name}”`, { signal: ctx.signal });   // about this page: goes with it
//
// Toasts live outside the page, so by default they outlast a navigation ("Deleted …" is still
// worth reading on the next page). One about the page itself, or whose action only works
// there, takes the page's `signal` and closes when the page is left.
//
// A toast with an action stays until it is dismissed (or its page is left): its Retry or Undo
// sits at the end of the page, many Tab stops away, and must still be there when a keyboard
// reaches it (WCAG 2.2.1). Others close after a few seconds, never while the pointer or focus
// is on them. F6 (or Shift+F6) moves focus to the newest toast's first button and, pressed
// again, back where it was; Escape in a toast dismisses it. A toast closed with focus inside
// (its ✕, its action, Escape) gives focus back to where it was before it entered the toasts.
// The same toast shown again replaces the one showing.

import { h } from '../dom.js';
import { icon } from './icons.js';

const KIND_ICON = { info: 'info', success: 'check-circle', error: 'alert' };
const TIMEOUT_MS = { info: 5000, success: 4000, error: 9000 };
const LINGER_MS = 3000; // after the pointer or focus leaves a toast that was held
// Between two announcements: a screen reader reads a live region's text once per change, and a
// change made before it has taken the last one replaced it unheard.
const ANNOUNCE_GAP_MS = 250;
const QUEUE_JOIN = 3;

let watched = null; // the region whose focus entries are followed
let returnTo = null; // what had focus before it entered the toasts

function region() {
  let el = document.getElementById('toasts');
  if (!el) {
    el = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(el);
  }
  if (watched !== el) {
    watched = el;
    el.addEventListener('focusin', (event) => {
      const from = event.relatedTarget;
      if (from instanceof Element && !el.contains(from)) returnTo = from;
    });
  }
  return el;
}

export function toast(message, { kind = 'info', action, timeout, signal } = {}) {
  if (signal?.aborted) return () => {};
  const stays = Boolean(action) && timeout === undefined;
  let timer = null;
  const wait = (ms) => {
    clearTimeout(timer);
    timer = stays ? null : setTimeout(close, ms);
  };
  const close = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', close);
    if (!item.isConnected) return;
    const hadFocus = item.contains(document.activeElement);
    item.remove();
    if (hadFocus) focusBack();
  };
  const item = h(
    'div',
    { class: ['toast', `toast--${kind}`], dataset: { key: `${kind}\n${message}\n${action?.label || ''}` } },
    h('span', { class: 'toast__icon' }, icon(KIND_ICON[kind] || 'info')),
    h('span', { class: 'toast__message' }, message),
    action &&
      h('button', { type: 'button', class: 'button button--sm', dataset: { part: 'action' }, onclick: () => { close(); action.run(); } }, action.label),
    h('button', { type: 'button', class: 'button button--ghost button--icon button--sm', dataset: { part: 'dismiss' }, onclick: close },
      icon('close', { label: 'Dismiss', size: 'sm' })),
  );
  const list = region();
  const same = [...list.children].find((other) => other.dataset.key === item.dataset.key);
  list.append(item);
  if (same) {
    const part = same.contains(document.activeElement) ? document.activeElement.dataset.part : null;
    same.remove();
    if (part) item.querySelector(`[data-part="${part}"]`)?.focus();
  }
  wait(timeout ?? TIMEOUT_MS[kind] ?? 5000);
  signal?.addEventListener('abort', close, { once: true });
  // Kept while the pointer or focus is on it (someone is about to press its action).
  item.addEventListener('pointerenter', () => clearTimeout(timer));
  item.addEventListener('focusin', () => clearTimeout(timer));
  item.addEventListener('pointerleave', () => {
    if (!item.contains(document.activeElement)) wait(LINGER_MS);
  });
  item.addEventListener('focusout', (event) => {
    if (!item.contains(event.relatedTarget) && !item.matches(':hover')) wait(LINGER_MS);
  });
  item.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    close();
  });
  return close;
}

/** Focus back where it was before the toasts had it; if that is gone, the newest toast left,
 * else the page's content (never the body). */
function focusBack() {
  const target = returnTo;
  returnTo = null;
  if (target?.isConnected && target.getClientRects().length && !target.closest('[inert]')) {
    target.focus();
    return;
  }
  const other = newestControl();
  if (other) {
    returnTo = target;
    other.focus();
    return;
  }
  document.getElementById('main')?.focus();
}

function newestControl() {
  return document.getElementById('toasts')?.lastElementChild?.querySelector('button') || null;
}

// F6 (or Shift+F6): to the newest toast and back. Left to the browser when there is no toast
// to go to, or while a dialog holds the focus.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'F6' || event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
  const list = document.getElementById('toasts');
  if (list?.contains(document.activeElement)) {
    event.preventDefault();
    focusBack();
    return;
  }
  const control = newestControl();
  if (!control || document.querySelector('dialog[open]')) return;
  event.preventDefault();
  region();
  returnTo = document.activeElement;
  control.focus();
});

const said = []; // messages waiting to be announced
let speaking = false;

/** Say something to screen readers only (status changes). Messages are queued, each given its
 * turn in the live region, in order; a burst (more than QUEUE_JOIN waiting) is said at once. */
export function announce(message) {
  const text = String(message ?? '').trim();
  if (!text) return;
  said.push(text);
  if (!speaking) {
    speaking = true;
    requestAnimationFrame(sayNext);
  }
}

function sayNext() {
  let el = document.getElementById('announcer');
  if (!el) {
    el = h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite' });
    document.body.append(el);
  }
  const batch = [...new Set(said.splice(0, said.length > QUEUE_JOIN ? said.length : 1))];
  const text = batch.length > 1 ? batch.map(sentence).join(' ') : batch[0];
  // Emptied first, so the same words said again are a change, and read again.
  el.textContent = '';
  requestAnimationFrame(() => {
    el.textContent = text;
    setTimeout(() => {
      if (said.length) requestAnimationFrame(sayNext);
      else speaking = false;
    }, ANNOUNCE_GAP_MS);
  });
}

function sentence(text) {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

// Empty states say what to do next, with a button that does it.
//
//   emptyState({ icon: 'folder', title: 'No projects yet', body: '…',
//                action: { label: 'New project', href: '/studio/new', icon: 'plus' } })

import { errorDetail, errorMessage } from '../api.js';
import { h } from '../dom.js';
import { icon as drawIcon } from './icons.js';
import { hadFocus, retryBySelf } from './retry.js';

export function emptyState({ icon = 'sparkles', title, body, action, headingLevel = 'h2' }) {
  return h(
    'div',
    { class: 'empty' },
    h('div', { class: 'empty__icon' }, drawIcon(icon)),
    h(headingLevel, { class: 'empty__title' }, title),
    body && h('p', { class: 'empty__body' }, body),
    action && actionButton(action),
  );
}

function actionButton({ label, href, run, icon: name = 'plus', primary = true }) {
  const cls = ['button', primary && 'button--primary'];
  const content = [name && drawIcon(name), label];
  return href
    ? h('a', { class: cls, href }, content)
    : h('button', { type: 'button', class: cls, onclick: run }, content);
}

/** What a page shows for an address that leads nowhere: a mistyped one, or something deleted. */
export function notFoundState() {
  return emptyState({
    icon: 'search',
    title: 'This page does not exist',
    body: 'The address may be mistyped, or what it showed has been deleted.',
    action: { label: 'Back to projects', href: '/studio', icon: 'arrow-left' },
  });
}

/** A failure said for people (from `error`, or `message`), the API's own words as the body's
 * tooltip, and a retry: by itself (ui/retry.js) when the failure passes on its own, at once on
 * Try again. The waits grow per `place` (by default the element the state is shown in). While
 * a retry is out, its Try again is busy; a caller that finds `showsFailure(container)` leaves
 * the failure in view meanwhile, rather than skeletons for as long as a hung service takes to
 * time out (30 s) each time, between glimpses of the failure. */
export function errorState({ error, message = errorMessage(error), retry, place = null }) {
  let cancel = () => {};
  const again = () => {
    state.querySelector('button')?.setAttribute('aria-busy', 'true');
    retry();
  };
  const state = emptyState({
    icon: 'alert',
    title: 'Something went wrong',
    body: message,
    action: retry && { label: 'Try again', run: () => { cancel(); again(); }, icon: 'refresh', primary: false },
  });
  state.classList.add('empty--failure');
  const detail = error ? errorDetail(error) : null;
  if (detail) state.querySelector('.empty__body').title = detail;
  // Callers place the state as soon as it is built; the place it is shown in keeps the streak
  // of waits, as each retry that fails builds a new state there.
  if (retry && error) {
    queueMicrotask(() => {
      const key = place || state.parentNode;
      if (!key) return;
      if (hadFocus(key)) state.querySelector('button')?.focus();
      cancel = retryBySelf({ key, error, retry: again, shown: state });
    });
  }
  return state;
}

/** Whether `container` shows an errorState (see there). */
export function showsFailure(container) {
  return Boolean(container.querySelector(':scope > .empty--failure'));
}

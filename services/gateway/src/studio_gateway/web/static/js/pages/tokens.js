// API tokens (/studio/tokens), accounts mode: create one, never expiring or for a number of
// days (its secret shown once, with Copy), list them with their expiry, revoke with
// confirmation.

import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import { confirmDialog } from '../ui/confirm.js';
import { emptyState, errorState, showsFailure } from '../ui/empty.js';
import { dateTime, relativeTime } from '../ui/format.js';
import { busy, field, formAlert, showProblem, tooLong } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { metaParts } from '../ui/meta-parts.js';
import { TOKEN_EXPIRY_DAYS, TOKEN_NAME_MAX } from '../limits.js';
import { skeletonRow, skeletonGrid } from '../ui/skeleton.js';
import { announce, toast } from '../ui/toast.js';

export async function render(main, _params, ctx) {
  let cursor = null;
  const name = field({
    label: 'Token name',
    name: 'name',
    hint: 'Say where it will be used, e.g. “render farm script”.',
    input: h('input', { class: 'input', type: 'text', required: true, autocomplete: 'off' }),
  });
  const expiry = field({
    label: 'Expires',
    name: 'expires_in_days',
    input: h('select', { class: 'select' },
      h('option', { value: '' }, 'Never'),
      TOKEN_EXPIRY_DAYS.map((days) => h('option', { value: String(days) }, `In ${days} days`))),
  });
  expiry.el.classList.add('tokens-create__expiry');
  const alert = formAlert();
  const create = h('button', { type: 'submit', class: 'button button--primary' }, icon('plus'), 'Create token');
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'tokens-create-title' },
    alert.el, h('div', { class: 'tokens-create' }, name.el, expiry.el, h('div', { class: 'field' }, create)));
  const secret = h('div', { class: 'token-secret-slot' });
  const list = h('div', { class: 'tokens-list' });
  const more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => load(true) }, 'Load more');
  const rows = h('ul', { class: 'list', role: 'list', 'aria-label': 'Your API tokens' });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    alert.hide();
    if (!name.input.value.trim()) {
      name.setError('Give the token a name.');
      name.input.focus();
      return;
    }
    if (tooLong(name, name.input.value.trim(), TOKEN_NAME_MAX)) return;
    await busy(create, async () => {
      try {
        const days = Number(expiry.input.value) || null;
        const token = await api.post('/tokens', { name: name.input.value.trim(), expires_in_days: days });
        name.input.value = '';
        showSecret(token);
        if (!rows.isConnected) replace(list, rows, h('div', { class: 'load-more' }, more));
        rows.prepend(row(token));
      } catch (error) {
        showProblem(form, error, alert);
      }
    });
  });

  main.append(h('div', { class: 'page' },
    h('p', { class: 'muted' }, 'Scripts and other programs use API tokens to act as you: ',
      h('code', 'Authorization: Bearer sst_…'), '. Treat a token like a password.'),
    h('section', { class: 'panel page', 'aria-labelledby': 'tokens-create-title' },
      h('h2', { id: 'tokens-create-title' }, 'Create a token'), form, secret),
    h('section', { class: 'page', 'aria-labelledby': 'tokens-list-title' },
      h('h2', { id: 'tokens-list-title' }, 'Your tokens'), list)));

  await load(false);

  async function load(append) {
    if (!append && !showsFailure(list)) replace(list, skeletonGrid(3, skeletonRow, 'list'));
    try {
      const page = await api.get('/tokens', { limit: 50, cursor: append ? cursor : null }, { signal: ctx.signal });
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!append) {
        if (!page.items.length) {
          replace(list, emptyState({ icon: 'key', title: 'No API tokens yet', body: 'Create one above when a script needs to use the studio.', headingLevel: 'h3' }));
          return;
        }
        replace(rows);
        replace(list, rows, h('div', { class: 'load-more' }, more));
      }
      rows.append(...page.items.map(row));
    } catch (error) {
      if (ctx.signal.aborted) return;
      if (append) toast(errorMessage(error), { kind: 'error' });
      else replace(list, errorState({ error, retry: () => load(false) }));
    }
  }

  function showSecret(token) {
    const copy = h('button', { type: 'button', class: 'button' }, icon('copy'), 'Copy');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(token.token);
        replace(copy, icon('check'), 'Copied');
        announce('Token copied to the clipboard.');
      } catch {
        toast('The browser did not allow copying; select the token and copy it yourself.', { kind: 'error' });
      }
    });
    replace(secret, h('div', { class: 'token-secret', role: 'status' },
      h('div', { class: 'list__main' },
        h('strong', `Token “${token.name}” created${token.expires_at ? `, valid until ${dateTime(token.expires_at)}` : ''}. Copy it now: it will not be shown again.`),
        h('code', { class: 'token-secret__value', dataset: { testid: 'token-secret' } }, token.token)),
      copy));
    copy.focus();
  }

  function row(token) {
    const revoke = h('button', { type: 'button', class: 'button button--ghost button--sm' }, icon('trash', { size: 'sm' }), 'Revoke');
    const item = h('li', { class: 'list__item', dataset: { tokenId: token.id } },
      h('span', { class: 'badge badge--accent' }, icon('key', { size: 'sm' }), h('span', { class: 'mono' }, `${token.prefix}…`)),
      h('div', { class: 'list__main' },
        h('span', { class: 'list__title' }, token.name),
        metaParts([
          h('time', { datetime: token.created_at, title: dateTime(token.created_at) }, `Created ${relativeTime(token.created_at)}`),
          token.last_used_at ? `Last used ${relativeTime(token.last_used_at)}` : 'Never used',
          expiryText(token.expires_at),
        ], 'list__meta')),
      revoke);
    revoke.setAttribute('aria-label', `Revoke ${token.name}`);
    revoke.addEventListener('click', async () => {
      const sure = await confirmDialog({
        title: `Revoke “${token.name}”?`,
        body: 'Programs using this token stop working at once. This cannot be undone.',
        confirmLabel: 'Revoke token',
        danger: true,
      });
      if (!sure) return;
      await busy(revoke, async () => {
        try {
          await api.del(`/tokens/${encodeURIComponent(token.id)}`);
          // Focus goes on to the next token's Revoke (the previous one's at the end, the name
          // field when none is left), not to the page body with the removed button.
          const next = item.nextElementSibling || item.previousElementSibling;
          item.remove();
          toast(`Token “${token.name}” revoked.`, { kind: 'success' });
          if (next) next.querySelector('button')?.focus();
          else name.input.focus();
          if (!rows.children.length && !cursor) load(false);
        } catch (error) {
          toast(errorMessage(error), { kind: 'error' });
        }
      });
    });
    return item;
  }
}

/** "Never expires", or when it does (or did: an expired token is listed until revoked). */
function expiryText(expiresAt) {
  if (!expiresAt) return 'Never expires';
  const past = new Date(expiresAt).getTime() <= Date.now();
  return h('time', { datetime: expiresAt }, `${past ? 'Expired' : 'Expires'} ${dateTime(expiresAt)}`);
}

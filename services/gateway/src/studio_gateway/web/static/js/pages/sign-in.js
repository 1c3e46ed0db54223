// Sign in (/studio/sign-in), accounts mode only.

import { h } from '../dom.js';
import { field } from '../ui/forms.js';
import { authPage } from './auth.js';

export async function render(main, _params, ctx) {
  const email = field({ label: 'E-mail address', name: 'email', input: h('input', { class: 'input', type: 'email', autocomplete: 'username', required: true }) });
  const password = field({ label: 'Password', name: 'password', input: h('input', { class: 'input', type: 'password', autocomplete: 'current-password', required: true }) });
  return authPage(main, ctx, {
    kind: 'sign-in',
    title: 'Sign in',
    intro: 'Welcome back. Your projects are where you left them.',
    fields: [email, password],
    body: () => ({ email: email.input.value.trim(), password: password.input.value }),
    submitLabel: 'Sign in',
    switchText: 'New here?',
    switchLabel: 'Create an account',
    switchHref: '/studio/sign-up',
  });
}

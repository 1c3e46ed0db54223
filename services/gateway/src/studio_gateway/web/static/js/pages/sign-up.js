// Create an account (/studio/sign-up), accounts mode only.

import { h } from '../dom.js';
import { field } from '../ui/forms.js';
import { authPage } from './auth.js';

export async function render(main, _params, ctx) {
  const email = field({ label: 'E-mail address', name: 'email', input: h('input', { class: 'input', type: 'email', autocomplete: 'email', required: true }) });
  const name = field({ label: 'Your name', name: 'display_name', optional: true, input: h('input', { class: 'input', type: 'text', autocomplete: 'name' }) });
  const password = field({
    label: 'Password',
    name: 'password',
    hint: 'At least 10 characters. A few words you will remember work well.',
    input: h('input', { class: 'input', type: 'password', autocomplete: 'new-password', required: true }),
  });
  return authPage(main, ctx, {
    kind: 'sign-up',
    title: 'Create your account',
    intro: 'Projects, generations and files of your own, on this studio.',
    fields: [email, name, password],
    body: () => ({ email: email.input.value.trim(), display_name: name.input.value.trim(), password: password.input.value }),
    submitLabel: 'Create account',
    switchText: 'Already have an account?',
    switchLabel: 'Sign in',
    switchHref: '/studio/sign-in',
  });
}

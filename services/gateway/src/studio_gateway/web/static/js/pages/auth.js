// The sign-in and sign-up card (accounts mode): a form, its errors in place, and a wait time
// when the API says 429.

import { ApiError, api, withWait } from '../api.js';
import { h } from '../dom.js';
import { safeNext, session } from '../session.js';
import { busy, formAlert, showProblem } from '../ui/forms.js';
import { icon } from '../ui/icons.js';

/**
 * kind: 'sign-in' | 'sign-up'; fields: field() objects; body(): the JSON to send.
 * Returns the cleanup (stops a running countdown).
 */
export function authPage(main, ctx, { kind, title, intro, fields, body, submitLabel, switchText, switchLabel, switchHref }) {
  const alert = formAlert();
  const submit = h('button', { type: 'submit', class: 'button button--primary button--block' }, submitLabel);
  const next = ctx.query.get('next');
  const withNext = (href) => (next ? `${href}?next=${encodeURIComponent(next)}` : href);
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'auth-title' },
    alert.el, fields.map((f) => f.el), submit);
  let countdown = null;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    alert.hide();
    const empty = fields.find((f) => f.input.required && !f.input.value.trim());
    if (empty) {
      empty.setError('This is needed.');
      empty.input.focus();
      return;
    }
    await busy(submit, async () => {
      try {
        const answer = await api.post(kind === 'sign-in' ? '/auth/login' : '/auth/signup', body());
        session.started(answer);
        ctx.navigate(safeNext(next), { replace: true });
      } catch (error) {
        if (error instanceof ApiError && error.status === 429) {
          waitFor(error);
        } else if (error instanceof ApiError && error.status === 409 && kind === 'sign-up') {
          // The address has an account: the way on is signing in, offered as a button rather
          // than the words "sign in" with nothing to press.
          alert.show(error.problem.detail || 'An account with this e-mail address already exists.', 'error', {
            action: { label: 'Sign in', icon: 'arrow-right', run: () => ctx.navigate(withNext('/studio/sign-in')) },
          });
        } else if (error instanceof ApiError && error.status === 401) {
          alert.show(error.problem.detail || 'Wrong e-mail address or password.');
          fields[fields.length - 1].input.select();
        } else {
          showProblem(form, error, alert);
        }
      }
    });
    if (countdown) submit.disabled = true;
  });

  // Too many attempts: say so with the wait, and keep the button off until it has passed.
  function waitFor(error) {
    let left = Math.ceil(error.retryAfter || 60);
    const detail = error.problem.detail || 'Too many attempts.';
    const tick = () => {
      if (left <= 0) {
        clearInterval(countdown);
        countdown = null;
        submit.disabled = false;
        alert.show('You can try again now.', 'info');
        return;
      }
      // Worded as everywhere else (errorMessage), with the seconds left.
      alert.show(withWait(detail, left));
      left -= 1;
    };
    clearInterval(countdown);
    tick();
    countdown = setInterval(tick, 1000);
  }

  // Sent here because the session ended under the page: say so, or it looks like a fault.
  if (kind === 'sign-in' && session.expired) alert.show('Your session has ended. Sign in again to carry on where you left off.', 'info');

  main.append(h('div', { class: 'auth' },
    h('section', { class: 'auth__card' },
      h('a', { class: 'auth__brand sidebar__brand', href: '/studio' },
        h('span', { class: 'sidebar__logo' }, icon('logo', { size: 'sm' })), 'AI Studio'),
      h('div', { class: 'auth__intro' }, h('h1', { id: 'auth-title' }, title), h('p', intro)),
      form,
      h('p', { class: 'auth__switch' }, `${switchText} `, h('a', { href: withNext(switchHref) }, switchLabel)))));
  // Someone here came to type: the first field takes focus (the form is named by the heading).
  fields[0]?.input.focus();

  return () => clearInterval(countdown);
}


// studio-sidebar: "New project", the main navigation, quick actions, and the user's corner
// (in accounts mode: e-mail, API tokens, log out) with the theme toggle. On phones it is a
// drawer opened from the header's menu button.

import { errorMessage, api } from '../api.js';
import { projectExists } from '../components/gallery-projects.js';
import { h, replace } from '../dom.js';
import { live } from '../live.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { LAST_PROJECT_CHANGED, prefs } from '../store.js';
import { confirmDialog } from '../ui/confirm.js';
import { keepFocusInside } from '../ui/dialog.js';
import { icon } from '../ui/icons.js';
import { toast } from '../ui/toast.js';
import { effectiveTheme, onThemeChangedOutside, toggleTheme } from './theme.js';

const NAV = [
  { key: 'projects', label: 'Projects', href: '/studio', icon: 'folder' },
  { key: 'templates', label: 'Templates', href: '/studio/templates', icon: 'templates' },
  { key: 'generations', label: 'Generations', href: '/studio/generations', icon: 'sparkles' },
  { key: 'assets', label: 'Assets', href: '/studio/assets', icon: 'assets' },
];
const QUICK = [
  { label: 'Generate image', type: 'text-to-image', then: 'generate-image', icon: 'image' },
  { label: 'Generate video', type: 'text-to-video', then: 'generate-video', icon: 'video' },
];

/** Where a quick action goes: the last project's page, or a new project first. */
export function quickActionHref({ type, then }) {
  const last = prefs.lastProjectId;
  return last ? projectHref(last, type) : `/studio/new?then=${then}`;
}

function projectHref(id, type) {
  return `/studio/${encodeURIComponent(id)}?type=${type}`;
}

/**
 * The last project may be gone (deleted in another browser, by a program): it is asked for
 * first, and the newest project is the place then, as for a browser that has not opened one yet
 * (a new one, cleared storage); only someone with none makes one first. From the project page
 * itself the type changes in place, without a second history entry for the same page.
 */
async function openQuickAction(event, item) {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  let target = prefs.lastProjectId;
  try {
    if (target && !(await projectExists(target))) {
      prefs.lastProjectId = null;
      target = null;
    }
    if (!target) target = (await api.get('/projects', { limit: 1 })).items[0]?.id || null;
  } catch {
    // Unknown: the last project if there is one, else a new project is a fine place to start.
  }
  const href = target ? projectHref(target, item.type) : quickActionHref(item);
  const here = target && location.pathname === `/studio/${encodeURIComponent(target)}`;
  navigate(href, { replace: Boolean(here) });
}

export function buildSidebar(app) {
  const navLinks = NAV.map((item) =>
    h('a', { class: 'nav-link', href: item.href, dataset: { nav: item.key } }, icon(item.icon), h('span', item.label)));
  const quickLinks = QUICK.map((item) =>
    h('a', { class: 'nav-link', href: quickActionHref(item), dataset: { quick: item.type }, onclick: (event) => openQuickAction(event, item) }, icon(item.icon), h('span', item.label)));
  const aimQuickLinks = () => quickLinks.forEach((link, i) => { link.href = quickActionHref(QUICK[i]); });
  // A project page opened remembers its project after the sidebar was drawn for it.
  window.addEventListener(LAST_PROJECT_CHANGED, aimQuickLinks);
  // Deleted elsewhere (another tab, a program): the quick actions no longer aim at it.
  live.on('project.deleted', (data) => {
    if (data?.project_id && data.project_id === prefs.lastProjectId) prefs.lastProjectId = null;
  });
  const footer = h('div', { class: 'sidebar__footer' });
  const closeButton = h('button', {
    type: 'button',
    class: 'button button--ghost button--icon button--sm sidebar__close',
    onclick: () => closeDrawer(app),
  }, icon('close', { label: 'Close menu', size: 'sm' }));

  const el = h(
    'nav',
    { class: 'sidebar', id: 'sidebar', 'aria-label': 'Studio' },
    h('div', { class: 'sidebar__section' },
      h('div', { class: 'page__toolbar' },
        h('a', { class: 'sidebar__brand', href: '/studio' },
          h('span', { class: 'sidebar__logo' }, icon('logo', { size: 'sm' })), 'AI Studio'),
        closeButton),
    ),
    h('a', { class: 'button button--primary button--block', href: '/studio/new', dataset: { action: 'new-project' } },
      icon('plus'), 'New project'),
    h('div', { class: 'sidebar__section' }, h('ul', { class: 'sidebar__list', role: 'list' }, navLinks.map((a) => h('li', a)))),
    h('div', { class: 'sidebar__section' },
      // A label, not a heading: the sidebar comes first in the page, and a heading here came
      // before the page's own h1 in a screen reader's list of headings.
      h('p', { class: 'sidebar__label', id: 'quick-actions-label' }, 'Quick actions'),
      h('ul', { class: 'sidebar__list', role: 'list', 'aria-labelledby': 'quick-actions-label' }, quickLinks.map((a) => h('li', a)))),
    footer,
  );

  const renderFooter = () => {
    // Redrawn when the session or the system theme changes: keep the focus where it was.
    const action = footer.contains(document.activeElement) ? document.activeElement.dataset.action : null;
    replace(footer, userCorner(), themeButton());
    markCurrent();
    if (action) footer.querySelector(`[data-action="${action}"]`)?.focus();
  };
  let currentNav = null;
  // The footer's API tokens link is a page of its own too.
  function markCurrent() {
    for (const link of el.querySelectorAll('a[data-nav]')) {
      if (link.dataset.nav === currentNav) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }
  session.onChange(renderFooter);
  onThemeChangedOutside(renderFooter);
  renderFooter();

  // Links inside the drawer close it (the router handles the navigation itself).
  el.addEventListener('click', (event) => {
    if (event.target.closest('a[href]')) closeDrawer(app);
  });
  document.addEventListener('keydown', (event) => {
    // A dialog opened from the menu keeps its own keys.
    if (!app.classList.contains('app--nav-open') || document.querySelector('dialog[open]')) return;
    if (event.key === 'Escape') {
      closeDrawer(app);
      document.getElementById('menu-button')?.focus();
    } else {
      keepFocusInside(el, event);
    }
  });

  return {
    el,
    /** Mark the current page and refresh quick-action targets. */
    update(navKey) {
      currentNav = navKey;
      markCurrent();
      aimQuickLinks();
    },
  };

  function themeButton() {
    const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
    return h('button', {
      type: 'button',
      class: 'nav-link',
      dataset: { action: 'toggle-theme' },
      onclick: () => {
        toggleTheme();
        renderFooter();
        el.querySelector('[data-action="toggle-theme"]')?.focus();
      },
    }, icon(next === 'light' ? 'sun' : 'moon'), h('span', next === 'light' ? 'Light theme' : 'Dark theme'));
  }
}

function userCorner() {
  if (!session.accounts) {
    return h('div', { class: 'user-chip' },
      h('span', { class: 'user-chip__avatar', 'aria-hidden': 'true' }, icon('user', { size: 'sm' })),
      h('span', { class: 'user-chip__text' },
        h('span', { class: 'user-chip__name' }, 'Local user'),
        h('span', { class: 'user-chip__meta' }, 'Single-user mode')));
  }
  if (!session.user) return null;
  const { email, display_name: name } = session.user;
  return [
    h('div', { class: 'user-chip' },
      h('span', { class: 'user-chip__avatar', 'aria-hidden': 'true' }, initial(name || email)),
      h('span', { class: 'user-chip__text' },
        h('span', { class: 'user-chip__name' }, name || email),
        name && h('span', { class: 'user-chip__meta' }, email))),
    h('a', { class: 'nav-link', href: '/studio/tokens', dataset: { nav: 'tokens' } }, icon('key'), h('span', 'API tokens')),
    h('button', { type: 'button', class: 'nav-link', dataset: { action: 'log-out' }, onclick: () => logOut() }, icon('logout'), h('span', 'Log out')),
    h('button', { type: 'button', class: 'nav-link', dataset: { action: 'log-out-everywhere' }, onclick: logOutEverywhere }, icon('logout'), h('span', 'Log out everywhere')),
  ];
}

/** A phone left signed in, a shared computer: every session of the account ends (API tokens,
 * which have their own page, stay). */
async function logOutEverywhere() {
  const sure = await confirmDialog({
    title: 'Log out everywhere?',
    body: 'Every browser and device signed in to this account is signed out, this one too. API tokens keep working; revoke them on the API tokens page.',
    confirmLabel: 'Log out everywhere',
    danger: true,
  });
  if (sure) await logOut({ everywhere: true });
}

async function logOut({ everywhere = false } = {}) {
  try {
    await api.post(everywhere ? '/auth/logout-all' : '/auth/logout');
  } catch (error) {
    if (error?.status !== 401) {
      toast(errorMessage(error), { kind: 'error', action: { label: 'Retry', run: () => logOut({ everywhere }) } });
      return;
    }
  }
  live.stop();
  session.ended();
  prefs.forgetWork();
  navigate('/studio/sign-in', { ask: false }); // signed out: no upload can finish
  toast(everywhere ? 'You are signed out everywhere.' : 'You are signed out.', { kind: 'success' });
}

/** The first letter or digit of a name ("<b>QA</b>" → "Q"), upper-cased; "?" when it has none. */
function initial(name) {
  const found = String(name || '').match(/[\p{L}\p{N}]/u);
  return found ? found[0].toUpperCase() : '?';
}

// Open, the drawer is all there is: the page behind it takes neither focus nor clicks (a phone
// user tabbing on would land on controls hidden under the scrim).
const DRAWER_WIDTH = '(max-width: 900px)';
let wideWatch = null;

export function openDrawer(app) {
  app.classList.add('app--nav-open');
  document.getElementById('menu-button')?.setAttribute('aria-expanded', 'true');
  if (!wideWatch) {
    // Grown past the drawer's width (a tablet turned), the sidebar is a column again.
    wideWatch = window.matchMedia(DRAWER_WIDTH);
    wideWatch.addEventListener('change', (event) => { if (!event.matches) closeDrawer(app); });
  }
  // Focus moves in once the drawer is shown (a hidden link refuses it, and it stays hidden for
  // a frame or more); the page goes inert only then, since inert would drop focus to the body.
  let frames = 0;
  const moveIn = () => {
    if (!app.classList.contains('app--nav-open')) return;
    const first = document.querySelector('#sidebar a, #sidebar button');
    first?.focus();
    if (first && document.activeElement !== first && ++frames < 30) {
      requestAnimationFrame(moveIn);
      return;
    }
    app.querySelector('.workspace')?.setAttribute('inert', '');
  };
  requestAnimationFrame(moveIn);
}

export function closeDrawer(app) {
  if (!app.classList.contains('app--nav-open')) return;
  app.classList.remove('app--nav-open');
  app.querySelector('.workspace')?.removeAttribute('inert');
  document.getElementById('menu-button')?.setAttribute('aria-expanded', 'false');
}

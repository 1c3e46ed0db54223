// studio-header: the page title (the page's h1), breadcrumbs, the page's own actions, the
// quiet offline indicator, and "New project". On phones, the menu button opens the sidebar.

import { h, replace } from '../dom.js';
import { icon } from '../ui/icons.js';
import { openDrawer } from './sidebar.js';

export function buildHeader(app) {
  const title = h('h1', { class: 'header__title', id: 'page-title', tabindex: '-1' }, 'AI Studio');
  const crumbs = h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb', hidden: true });
  const actions = h('div', { class: 'header__actions' });
  const pageActions = h('div', { class: 'header__actions', dataset: { slot: 'page-actions' } });
  const connection = h('span', { class: 'connection', role: 'status', hidden: true },
    icon('offline', { size: 'sm' }), 'Offline — reconnecting');
  const newProject = h('a', { class: 'button button--primary header__new', href: '/studio/new', dataset: { action: 'header-new-project' } },
    icon('plus'), h('span', { class: 'button__label--wide' }, 'New project'));
  const menu = h('button', {
    type: 'button',
    id: 'menu-button',
    class: 'button button--ghost button--icon header__menu',
    'aria-controls': 'sidebar',
    'aria-expanded': 'false',
    onclick: () => openDrawer(app),
  }, icon('menu', { label: 'Open menu' }));

  actions.append(connection, pageActions, newProject);
  const el = h('header', { class: 'header', id: 'header' },
    menu, h('div', { class: 'header__titles' }, crumbs, title), actions);

  let offlineTimer = null;
  return {
    el,
    /** { title, breadcrumbs: [{label, href}], actions: nodes | null, newProject: boolean } */
    set({ title: text, breadcrumbs, actions: nodes, newProject: showNew } = {}) {
      if (text !== undefined) replace(title, text);
      if (breadcrumbs !== undefined) {
        const items = breadcrumbs || [];
        crumbs.hidden = items.length === 0;
        replace(crumbs, items.length ? h('ol', items.map((crumb, i) => h('li',
          i === items.length - 1 && !crumb.href
            ? h('span', { 'aria-current': 'page' }, crumb.label)
            : h('a', { href: crumb.href }, crumb.label)))) : null);
      }
      if (nodes !== undefined) replace(pageActions, nodes || null);
      if (showNew !== undefined) newProject.hidden = !showNew;
    },
    /** Offline for more than a moment: say so, quietly. */
    setOnline(online) {
      clearTimeout(offlineTimer);
      if (online) connection.hidden = true;
      else offlineTimer = setTimeout(() => { connection.hidden = false; }, 1500);
    },
  };
}

// The studio's entry point: who is here, the frame (sidebar + header), live events, the router.

import { onUnauthorized } from './api.js';
import { h, replace } from './dom.js';
import { buildHeader } from './layout/header.js';
import { buildSidebar, closeDrawer } from './layout/sidebar.js';
import { applyTheme } from './layout/theme.js';
import { live } from './live.js';
import { mayLeave } from './leaving.js';
import { notFound, routes } from './pages/index.js';
import { navigate, startRouter } from './router.js';
import { safeNext, session } from './session.js';
import { errorState, notFoundState } from './ui/empty.js';
import { skeleton, skeletonGrid } from './ui/skeleton.js';

const SIGN_IN = '/studio/sign-in';
// Who is here is asked before anything is drawn: an answer slower than this shows the frame's
// shape meanwhile (a quick one goes straight to the page, with no flash of grey shapes).
const SHELL_SKELETON_AFTER_MS = 150;

async function boot() {
  applyTheme();
  const app = document.getElementById('app');
  const main = document.getElementById('main');
  const waiting = setTimeout(() => showShellSkeleton(main), SHELL_SKELETON_AFTER_MS);
  try {
    await session.load();
  } catch (error) {
    clearTimeout(waiting);
    app.classList.add('app--bare');
    // Asked again in place rather than by reloading the page, so the waits between retries by
    // itself grow (ui/retry.js keeps them in memory, which a reload would forget).
    replace(main, h('div', { class: 'auth' }, errorState({ error, retry: boot, place: main })));
    return;
  }
  clearTimeout(waiting);
  app.classList.remove('app--bare');

  const sidebar = buildSidebar(app);
  const header = buildHeader(app);
  document.getElementById('sidebar-slot').replaceWith(sidebar.el);
  document.getElementById('header-slot').replaceWith(header.el);
  app.append(h('button', {
    type: 'button',
    class: 'drawer-scrim',
    tabindex: '-1',
    'aria-label': 'Close menu',
    onclick: () => closeDrawer(app),
  }));

  live.onStatus((online) => {
    header.setOnline(online);
    // Also on the root element, for anything that must know the stream is up (the tests do).
    document.documentElement.dataset.live = online ? 'online' : 'offline';
  });
  if (session.signedIn) live.start();
  session.onChange(() => (session.signedIn ? live.start() : live.stop()));

  onUnauthorized(() => {
    if (!session.accounts) return;
    live.stop();
    // Refused while signed in: the session ended under the page (log-out everywhere, expiry),
    // which the sign-in page says. Several requests can be refused at once; the first ends it.
    if (session.signedIn) session.ended({ expired: true });
    if (location.pathname !== SIGN_IN) navigate(`${SIGN_IN}?next=${encodeURIComponent(location.pathname + location.search)}`, { ask: false });
  });

  await startRouter(routes, {
    main,
    notFound,
    mayLeave,
    setHeader: (header_) => header.set(header_),
    guard(route, path, search) {
      if (route.access === 'guest') {
        if (!session.accounts) return '/studio';
        if (session.signedIn) return safeNext(new URLSearchParams(search).get('next'));
        return null;
      }
      if (route.access === 'accounts' && !session.accounts) return '/studio';
      if (session.accounts && !session.signedIn) return `${SIGN_IN}?next=${encodeURIComponent(path + search)}`;
      return null;
    },
    beforeRender(route) {
      app.classList.toggle('app--bare', route.chrome === false);
      closeDrawer(app);
      sidebar.update(route.nav);
      header.set({ newProject: route.newProject !== false });
    },
    context: () => ({ session, live }),
    renderError: (error) => {
      // A project (or anything a page is about) that is not there, or not the caller's: the
      // same page as an unknown address, not an error to retry.
      if (error?.status === 404) {
        header.set({ title: 'Not found', breadcrumbs: [] });
        sidebar.update(null); // no section is the current page, as for an unknown address
        document.title = 'Not found · AI Studio';
        return notFoundState();
      }
      return errorState({ error, retry: () => navigate(location.pathname + location.search, { replace: true }) });
    },
  });
}

/** The frame's shape while the session is asked for: the sidebar's links, the header's title
 * and cards in the page (the slots are replaced by the real sidebar and header). */
function showShellSkeleton(main) {
  const sidebar = document.getElementById('sidebar-slot');
  const header = document.getElementById('header-slot');
  sidebar?.replaceChildren(
    h('div', { class: 'sidebar__section', 'aria-hidden': 'true' }, skeleton('title')),
    h('div', { class: 'sidebar__section', 'aria-hidden': 'true' }, skeleton('control')),
    h('div', { class: 'sidebar__section', 'aria-hidden': 'true' },
      Array.from({ length: 4 }, () => h('div', { class: 'nav-link' }, skeleton('text')))),
  );
  header?.replaceChildren(h('div', { class: 'header__titles', 'aria-hidden': 'true' }, skeleton('title')));
  replace(main, skeletonGrid(6));
}

boot();

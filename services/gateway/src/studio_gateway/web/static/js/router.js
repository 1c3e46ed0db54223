// The History-API router. Routes (js/pages/index.js) map paths to page modules that export
//
//   export async function render(main, params, ctx) { …; return cleanup }   // cleanup optional
//
// ctx: { path, query (URLSearchParams), session, navigate, signal (aborted when the page is
// left), setHeader({title, breadcrumbs, actions}), route }. Before render the router sets
// document.title and the header from the route; after it, on a move from another page, focus
// moves to the page heading (the first h1 in main, else the header's title) so screen readers
// hear where they are. The page the studio opens on leaves focus alone: Tab reaches the skip
// link first.

import { clear, h } from './dom.js';

let routes = [];
let hooks = {};
let current = null; // { cleanup, controller }
let renderSeq = 0;
// Until the first page is shown, focus stays where the browser put it on load (the document):
// WCAG wants the skip link to be the first Tab stop of a page that opens, so only a move
// between pages takes focus to the heading.
let loaded = false;

/**
 * hooks: main (element), setHeader(fn), guard(route, path) → redirect path or null,
 * context() → extra ctx fields, afterRender(route, path), notFound (page module loader).
 */
export function startRouter(routeTable, options) {
  routes = routeTable.map((route) => ({ ...route, match: compile(route.path) }));
  hooks = options;
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', () => show(location.pathname + location.search, false));
  return show(location.pathname + location.search, false);
}

/** Go to `path` (a /studio path, with an optional query string). */
export function navigate(path, { replace = false } = {}) {
  return show(path, true, replace);
}

/** Re-render the current page (after sign-in, a reset of live events, …). */
export function reload() {
  return show(location.pathname + location.search, false);
}

export function matchRoute(pathname) {
  for (const route of routes) {
    const params = route.match(pathname);
    if (params) return { route, params };
  }
  return null;
}

async function show(target, push, replaceState = false) {
  const seq = ++renderSeq;
  const focusedBefore = document.activeElement;
  const link = new URL(target, location.origin);
  const path = normalise(link.pathname);
  if (push) {
    const entry = path + link.search + link.hash;
    if (replaceState) history.replaceState(null, '', entry);
    else if (entry !== location.pathname + location.search + location.hash) history.pushState(null, '', entry);
  }
  const found = matchRoute(path) || { route: hooks.notFound, params: {} };
  const redirect = hooks.guard?.(found.route, path, link.search);
  if (redirect && redirect !== path + link.search) return show(redirect, true, true);

  leaveCurrent();
  const controller = new AbortController();
  current = { cleanup: null, controller };
  const { main } = hooks;
  const title = found.route.title || 'AI Studio';
  document.title = `${title} · AI Studio`;
  hooks.setHeader?.({ title, breadcrumbs: found.route.breadcrumbs || [], actions: null });
  hooks.beforeRender?.(found.route, path);
  clear(main);
  // Before the page renders, not after: a page that focuses a field below the fold (the
  // project page's prompt) scrolls it into view, which a scroll afterwards undid.
  if (!link.hash) window.scrollTo(0, 0);
  main.setAttribute('aria-busy', 'true');
  try {
    const module = await found.route.page();
    if (seq !== renderSeq) return;
    const ctx = {
      path,
      route: found.route,
      query: new URLSearchParams(link.search),
      navigate,
      signal: controller.signal,
      setHeader: (header) => {
        if (seq !== renderSeq) return;
        if (header.title) document.title = `${header.title} · AI Studio`;
        hooks.setHeader?.(header);
      },
      ...(hooks.context?.() || {}),
    };
    const cleanup = await module.render(main, found.params, ctx);
    if (seq !== renderSeq) {
      if (typeof cleanup === 'function') cleanup();
      return;
    }
    current.cleanup = typeof cleanup === 'function' ? cleanup : null;
  } catch (error) {
    if (seq !== renderSeq || controller.signal.aborted) return;
    // A 404 is an answer (the page shows "not found"), not a fault to log.
    if (error?.status !== 404) console.error('page failed', path, error);
    clear(main);
    main.append(hooks.renderError ? hooks.renderError(error) : h('p', 'This page could not be shown.'));
  } finally {
    if (seq === renderSeq) {
      main.removeAttribute('aria-busy');
      hooks.afterRender?.(found.route, path);
      if (loaded) focusHeading(main, focusedBefore);
      loaded = true;
    }
  }
}

function leaveCurrent() {
  if (!current) return;
  // A dialog belongs to the page that opened it: Back with one open left it over the next page,
  // where its buttons still acted on the page left (a project deleted from its leftover confirm).
  // Closed as by Escape: nothing is chosen.
  document.querySelectorAll('dialog[open]').forEach((dialog) => dialog.close());
  current.controller.abort();
  try {
    current.cleanup?.();
  } catch (error) {
    console.error('page cleanup failed', error);
  }
  current = null;
}

function focusHeading(main, focusedBefore) {
  const active = document.activeElement;
  // A page that put focus somewhere itself (a form's first field) keeps it.
  if (main.contains(active) && active !== main) return;
  // So does a person who moved it while the page was loading (the theme toggle, the search box).
  const moved = active && active !== document.body && active !== focusedBefore && active.isConnected;
  if (moved && !main.contains(active)) return;
  const heading = main.querySelector('h1') || document.getElementById('page-title');
  if (!heading) return;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
}

function onClick(event) {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = event.target.closest?.('a[href]');
  if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
  const link = new URL(anchor.href, location.href);
  if (link.origin !== location.origin || !link.pathname.startsWith('/studio')) return;
  event.preventDefault();
  navigate(link.pathname + link.search + link.hash);
}

function compile(pattern) {
  const names = [];
  const source = pattern
    .split('/')
    .map((part) => {
      if (part.startsWith(':')) {
        names.push(part.slice(1));
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const regex = new RegExp(`^${source}$`);
  return (path) => {
    const found = regex.exec(path);
    if (!found) return null;
    const params = {};
    try {
      names.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1]);
      });
    } catch {
      // A malformed escape (/studio/%ZZ, a mistyped or cut link) threw out of the router and
      // left a blank page; it names nothing, so it is the not-found page like any unknown path.
      return null;
    }
    return params;
  };
}

function normalise(pathname) {
  return pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
}

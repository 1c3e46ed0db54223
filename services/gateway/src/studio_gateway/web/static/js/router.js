// The History-API router. Routes (js/pages/index.js) map paths to page modules that export
//
//   export async function render(main, params, ctx) { …; return cleanup }   // cleanup optional
//
// ctx: { path, query (URLSearchParams), session, navigate, signal (aborted when the page is
// left), setHeader({title, breadcrumbs, actions}), route, onQuery(handler) }. Before render the
// router sets document.title and the header from the route; after it, on a move from another
// page, focus moves to the page heading (the first h1 in main, else the header's title) so
// screen readers hear where they are. The page the studio opens on leaves focus alone: Tab
// reaches the skip link first.
//
// A page that keeps its filters in the address registers `ctx.onQuery(handler)`: a Back,
// Forward or link that only changes the query of the page shown calls handler(query) instead
// of rendering the page again (which would drop what it holds: uploads under way, the scroll).
// A page's own step in the address goes through `setAddress(address, {replace})`. Before a page
// is left, `hooks.mayLeave()` may keep it (uploads still being sent): a Back or Forward is then
// undone.

import { clear, h } from './dom.js';

let routes = [];
let hooks = {};
let current = null; // { cleanup, controller, path, onQuery }
let renderSeq = 0;
// Where the entry shown stands in this tab's history (kept in history.state), so that a Back or
// Forward the person takes back (staying on a page) can be undone by as many steps.
let position = 0;
let undoingTo = null; // the position such an undo goes back to: its popstate is not a move
let asking = false; // a question about leaving is open: the answer decides for the address then
let poppedWhileAsking = false; // a Back or Forward came while it was open (its answer may be late)
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
  if (typeof history.state?.position === 'number') position = history.state.position;
  else history.replaceState({ ...history.state, position }, '');
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', onPopState);
  return show(location.pathname + location.search, false);
}

/**
 * Go to `path` (a /studio path, with an optional query string); false if the person chose to
 * stay (`hooks.mayLeave`). `ask: false` leaves without asking (the page's subject is gone, the
 * session ended: nothing on it can be finished).
 */
export async function navigate(path, { replace = false, ask = true } = {}) {
  if (handledByPage(path, true, replace)) return true;
  if (ask && !(await mayLeave())) {
    // Staying, but a Back or Forward taken meanwhile still asks to be followed.
    if (poppedWhileAsking) onPopState();
    return false;
  }
  await show(path, true, replace);
  return true;
}

/** A page's own step in the address (a filter chosen): `replace` rewrites the entry shown,
 * else it is a new one Back returns to. The page is not rendered again. */
export function setAddress(address, { replace = false } = {}) {
  if (current) current.address = address;
  if (replace) {
    history.replaceState({ position }, '', address);
  } else if (address !== location.pathname + location.search + location.hash) {
    position += 1;
    history.pushState({ position }, '', address);
  }
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
  if (push) setAddress(path + link.search + link.hash, { replace: replaceState });
  const found = matchRoute(path) || { route: hooks.notFound, params: {} };
  const redirect = hooks.guard?.(found.route, path, link.search);
  if (redirect && redirect !== path + link.search) return show(redirect, true, true);

  leaveCurrent();
  const controller = new AbortController();
  current = { cleanup: null, controller, path, address: location.pathname + location.search + location.hash, onQuery: null };
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
      onQuery: (handler) => {
        if (current?.controller === controller) current.onQuery = handler;
      },
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
    current.onQuery = null; // the error shown is rendered again, not told of a query
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

/** Back or Forward: the page follows its own query, or is left (if it may be: else the step is
 * undone). */
async function onPopState() {
  if (undoingTo !== null) {
    const undone = history.state?.position === undoingTo;
    undoingTo = null;
    if (undone) return;
  }
  if (asking) {
    poppedWhileAsking = true;
    return;
  }
  const target = location.pathname + location.search + location.hash;
  const to = history.state?.position;
  if (handledByPage(target, false)) {
    if (typeof to === 'number') position = to;
    return;
  }
  if (!(await mayLeave())) {
    stayHere();
    return;
  }
  // The entry shown now (a second Back while the question was open moved on again).
  const now = history.state?.position;
  if (typeof now === 'number') position = now;
  else setAddress(location.pathname + location.search + location.hash, { replace: true });
  show(location.pathname + location.search, false);
}

/** The person chose to stay: back to the entry of the page shown, as many steps as were taken. */
function stayHere() {
  const at = history.state?.position;
  if (typeof at === 'number' && at !== position) {
    undoingTo = position;
    history.go(position - at);
    return;
  }
  // An entry the router did not make (no position): the page's address is put back as new.
  if (current?.address && current.address !== location.pathname + location.search + location.hash) {
    position += 1;
    history.pushState({ position }, '', current.address);
  }
}

/** Whether the page shown takes `target` itself (its path, another query); if so it has. */
function handledByPage(target, push, replaceState = false) {
  const link = new URL(target, location.origin);
  if (!current?.onQuery || normalise(link.pathname) !== current.path) return false;
  if (push) setAddress(current.path + link.search + link.hash, { replace: replaceState });
  else current.address = location.pathname + location.search + location.hash;
  // A dialog of the list it was over (a viewer, a rename) goes with it, as when a page is left.
  document.querySelectorAll('dialog[open]').forEach((dialog) => dialog.close());
  try {
    current.onQuery(new URLSearchParams(link.search));
  } catch (error) {
    console.error('page query failed', current.path, error);
  }
  return true;
}

/** Whether the page may be left (asks `hooks.mayLeave`). A Back or Forward while the question is
 * open is noted (`poppedWhileAsking`): an answer about the entry shown then covers it. */
async function mayLeave() {
  poppedWhileAsking = false;
  if (!current || !hooks.mayLeave) return true;
  asking = true;
  try {
    return await hooks.mayLeave();
  } finally {
    asking = false;
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

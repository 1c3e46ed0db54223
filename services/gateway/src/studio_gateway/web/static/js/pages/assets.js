// Assets (/studio/assets): everything of the person's across projects, in the asset gallery with
// a project filter. Uploads ask which project unless one is filtered.

import { h, replace } from '../dom.js';
import { mountGallery } from '../components/gallery.js';
import { skeletonAssetCard } from '../components/gallery-items.js';
import { loadProjects } from '../components/gallery-projects.js';
import { setAddress } from '../router.js';
import { errorState } from '../ui/empty.js';
import { icon } from '../ui/icons.js';
import { skeleton } from '../ui/skeleton.js';

export async function render(main, _params, ctx) {
  const page = h('section', { class: 'page assets-page', 'aria-labelledby': 'page-title' },
    h('p', { class: 'assets-page__lede' },
      'Uploads and generated results from all your projects. Drag one onto a project’s reference slot, or use it as a reference from here.'));
  const slot = h('div', { class: 'assets-page__gallery' }, gallerySkeleton());
  page.append(slot);
  main.append(page);

  let cleanup = null;
  let projects = [];
  let notice = null;
  // While the address's own filters are applied (Back, Forward), the address is left as it is.
  let fromAddressNow = false;
  async function start() {
    cleanup?.();
    cleanup = null;
    try {
      projects = await loadProjects({ signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) return;
      replace(slot, errorState({ error, retry: start }));
      return;
    }
    if (ctx.signal.aborted) return;
    replace(slot);
    const filters = fromAddress(new URLSearchParams(location.search));
    sayIfUnknown(filters.project);
    // Once another project is chosen, "showing all projects" is no longer true: the notice goes.
    const onFilters = (changed) => {
      if (changed.project) notice?.remove();
      if (!fromAddressNow) toAddress(changed);
    };
    cleanup = mountGallery(slot, { projects, signal: ctx.signal, live: ctx.live, filters, onFilters });
  }
  await start();

  // Back or Forward between filters of this page: the gallery follows the address in place (a
  // new render dropped the uploads under way, without a word).
  ctx.onQuery((query) => {
    if (!cleanup?.setFilters) return; // still loading, or failed: it reads the address itself
    const filters = fromAddress(query);
    notice?.remove();
    sayIfUnknown(filters.project);
    fromAddressNow = true;
    try {
      cleanup.setFilters(filters);
    } finally {
      fromAddressNow = false;
    }
  });

  // Projects made, renamed or removed elsewhere: the gallery follows them itself, without being
  // built again (which dropped the uploads under way, the scroll and the focus).
  return () => cleanup?.();

  // A link to a project that is gone or someone else's: the gallery lists all projects, and
  // says why rather than quietly dropping the filter.
  function sayIfUnknown(projectId) {
    if (!projectId || projects.some((p) => p.id === projectId)) return;
    notice = h('p', { class: 'alert alert--info assets-page__notice', role: 'status' }, icon('info'),
      h('span', 'This project does not exist or is not yours; showing all projects.'));
    slot.prepend(notice);
  }
}

/** The gallery's shape while the projects load (as every page shows its own): the toolbar's
 * search, view switch, Upload and chips, and a grid of cards. */
function gallerySkeleton() {
  return h('div', { class: 'gallery', 'aria-hidden': 'true' },
    h('div', { class: 'gallery__toolbar' },
      h('div', { class: 'gallery__toolbar-row' },
        skeleton('control', 'gallery-skeleton__search'),
        skeleton('control', 'gallery-skeleton__views'),
        skeleton('control', 'gallery-skeleton__upload')),
      h('div', { class: 'gallery__toolbar-row' },
        Array.from({ length: 5 }, () => skeleton('chip', 'gallery-skeleton__chip')))),
    h('div', { class: 'gallery-grid' }, Array.from({ length: 8 }, skeletonAssetCard)));
}

// The filters live in the address, so a reload, a shared link or Back keeps what was listed;
// each chosen filter (type, Favorites, project) is a step Back undoes, as on the Generations
// page, while the search being typed only replaces the address.
function fromAddress(query) {
  return { q: query.get('q') || '', type: query.get('type') || '', favorite: query.get('favorites') === '1', project: query.get('project') || '' };
}

function toAddress({ q, type, favorite, project }) {
  const query = new URLSearchParams();
  if (q) query.set('q', q);
  if (type) query.set('type', type);
  if (favorite) query.set('favorites', '1');
  if (project) query.set('project', project);
  const qs = query.toString();
  const next = `/studio/assets${qs ? `?${qs}` : ''}`;
  if (next === location.pathname + location.search) return;
  const before = fromAddress(new URLSearchParams(location.search));
  const chosen = before.type !== (type || '') || before.favorite !== Boolean(favorite) || before.project !== (project || '');
  setAddress(next, { replace: !chosen });
}

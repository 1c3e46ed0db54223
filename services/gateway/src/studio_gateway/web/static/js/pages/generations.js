// Generations (/studio/generations): every generation of the person, across projects, newest
// first, filtered by status and type, loading more as the list scrolls. Each card names its
// project and links to it.

import { api } from '../api.js';
import { h } from '../dom.js';
import { createHistory } from '../components/history.js';
import { TYPE_ICONS, loadModels, loadTypes, typeLabel } from '../components/catalog.js';
import { emptyState } from '../ui/empty.js';
import { field } from '../ui/forms.js';

// Arrow keys on a closed menu step its value, each step a `change`: the list follows the value
// the person stops on, this long after the last key.
const KEY_SETTLE_MS = 400;
const KEYED_CHANGE_MS = 100;

const STATUSES = [['', 'All statuses'], ['pending', 'Pending'], ['processing', 'Processing'], ['completed', 'Completed'], ['failed', 'Failed'], ['cancelled', 'Cancelled']];

export async function render(main, _params, ctx) {
  // A filter the API would refuse (an old or edited link) is dropped, not shown as an error.
  const allowed = (value, values) => (values.includes(value) ? value : '');
  const filters = {
    status: allowed(ctx.query.get('status') || '', STATUSES.map(([value]) => value)),
    type: allowed(ctx.query.get('type') || '', Object.keys(TYPE_ICONS)),
  };
  let types = null;
  const names = new Map(); // project id → name (or a promise while asked)
  let listed = false;

  const statusSelect = h('select', { class: 'select' }, STATUSES.map(([value, label]) => h('option', { value }, label)));
  statusSelect.value = filters.status;
  const typeSelect = h('select', { class: 'select' }, h('option', { value: '' }, 'All types'));
  typeSelect.value = filters.type;
  const toolbar = h('div', { class: 'page__toolbar generations-toolbar' },
    field({ label: 'Status', name: 'status', input: statusSelect }).el,
    field({ label: 'Type', name: 'type', input: typeSelect }).el);

  const history = createHistory({
    filters,
    live: ctx.live,
    signal: ctx.signal,
    showProject: true,
    projectName,
    typeLabel: (type) => typeLabel(types, type),
    empty: (query) => (query.status || query.type
      ? emptyState({
        icon: 'search',
        title: 'No generations match these filters',
        body: 'Try another status or type.',
        action: { label: 'Clear filters', icon: 'close', primary: false, run: clearFilters },
      })
      : emptyState({
        icon: 'sparkles',
        title: 'No generations yet',
        body: 'Open a project and generate an image, a video or a sound: everything you make is listed here.',
        action: { label: 'Go to projects', href: '/studio', icon: 'folder' },
      })),
  });

  main.append(h('section', { class: 'page generations', 'aria-labelledby': 'page-title' }, toolbar, history.el));

  let lastKeyAt = -Infinity;
  let settling = null;
  for (const select of [statusSelect, typeSelect]) {
    select.addEventListener('keydown', () => { lastKeyAt = performance.now(); });
    select.addEventListener('change', () => {
      clearTimeout(settling);
      if (performance.now() - lastKeyAt < KEYED_CHANGE_MS) settling = setTimeout(apply, KEY_SETTLE_MS);
      else apply();
    });
  }
  if ((ctx.query.get('status') || '') !== filters.status || (ctx.query.get('type') || '') !== filters.type) {
    window.history.replaceState(null, '', address());
  }

  Promise.all([loadTypes(), loadModels()]).then(([loaded]) => {
    types = loaded;
    typeSelect.append(...loaded.map((t) => h('option', { value: t.id }, t.label)));
    typeSelect.value = filters.type;
    history.refreshAll();
  }).catch(() => {});
  api.get('/projects', { limit: 100 }, { signal: ctx.signal }).then((page) => {
    for (const project of page.items) names.set(project.id, project.name);
  }).catch(() => {}).finally(() => {
    listed = true;
    history.refreshAll();
  });

  // A project renamed elsewhere: its cards show the new name.
  const offRenamed = ctx.live?.on ? ctx.live.on('project.updated', (data) => {
    if (!data?.project_id || !data.name) return;
    names.set(data.project_id, data.name);
    history.refreshAll();
  }) : null;

  // A project deleted elsewhere takes its generations with it (no event says so for each).
  const offDeleted = ctx.live?.on ? ctx.live.on('project.deleted', (data) => {
    if (!data?.project_id) return;
    names.set(data.project_id, 'Deleted project');
    history.removeWhere((generation) => generation.project_id === data.project_id);
  }) : null;

  return () => {
    clearTimeout(settling);
    offRenamed?.();
    offDeleted?.();
    history.destroy();
  };

  // Each choice is a step Back can undo (the router renders the page again from the address).
  function apply() {
    if (filters.status === statusSelect.value && filters.type === typeSelect.value) return;
    filters.status = statusSelect.value;
    filters.type = typeSelect.value;
    window.history.pushState(null, '', address());
    history.setFilters(filters);
  }

  // The button goes with the empty state it was in: focus moves to the first filter.
  function clearFilters() {
    statusSelect.value = '';
    typeSelect.value = '';
    apply();
    statusSelect.focus();
  }

  function address() {
    const query = new URLSearchParams();
    if (filters.status) query.set('status', filters.status);
    if (filters.type) query.set('type', filters.type);
    const qs = query.toString();
    return `/studio/generations${qs ? `?${qs}` : ''}`;
  }

  function projectName(id) {
    const known = names.get(id);
    if (typeof known === 'string') return known;
    if (!known && listed) {
      names.set(id, api.get(`/projects/${encodeURIComponent(id)}`, undefined, { signal: ctx.signal })
        .then((project) => { names.set(id, project.name); history.refreshAll(); })
        .catch((error) => {
          // Only a 404 says the project is gone; after any other failure it is asked again at
          // the next refresh, its card meanwhile linking to it unnamed.
          if (error?.status !== 404) { names.delete(id); return; }
          names.set(id, 'Deleted project');
          history.refreshAll();
        }));
    }
    return null;
  }
}

// Generations (/studio/generations): every generation of the person, across projects, newest
// first, filtered by project, status and type, loading more as the list scrolls. Each card
// names its project and links to it.

import { api } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { createHistory } from '../components/history.js';
import { loadProjects } from '../components/gallery-projects.js';
import { TYPE_ICONS, loadModels, loadTypes, typeLabel } from '../components/catalog.js';
import { setAddress } from '../router.js';
import { emptyState } from '../ui/empty.js';
import { field } from '../ui/forms.js';
import { icon } from '../ui/icons.js';

// Arrow keys on a closed menu step its value, each step a `change`: the list follows the value
// the person stops on, this long after the last key. Steps taken slower than that are each
// applied, but in one entry of the browser's history: Back undoes the whole walk at once.
const KEY_SETTLE_MS = 600;
const KEYED_CHANGE_MS = 100;

const STATUSES = [['', 'All statuses'], ['pending', 'Pending'], ['processing', 'Processing'], ['completed', 'Completed'], ['failed', 'Failed'], ['cancelled', 'Cancelled']];

export async function render(main, _params, ctx) {
  // A filter the API would refuse (an old or edited link) is dropped, not shown as an error.
  const filters = fromAddress(ctx.query);
  let types = null;
  const names = new Map(); // project id → name (or a promise while asked)
  let listed = false;
  let projects = [];

  // A link to one project's generations waits for the projects, so that one gone (or someone
  // else's) lists every project's and says so, rather than showing an error.
  let notice = null;
  if (filters.project_id) {
    try {
      projects = await loadProjects({ signal: ctx.signal });
      listed = true;
    } catch {
      if (ctx.signal.aborted) return undefined;
    }
    if (listed && !projects.some((p) => p.id === filters.project_id)) {
      filters.project_id = '';
      notice = h('p', { class: 'alert alert--info generations__notice', role: 'status' }, icon('info'),
        h('span', 'This project does not exist or is not yours; showing all projects.'));
    }
  }
  const projectSelect = h('select', { class: 'select' }, projectOptions());
  projectSelect.value = filters.project_id;

  const statusSelect = h('select', { class: 'select' }, STATUSES.map(([value, label]) => h('option', { value }, label)));
  statusSelect.value = filters.status;
  const typeSelect = h('select', { class: 'select' }, h('option', { value: '' }, 'All types'));
  typeSelect.value = filters.type;
  const projectField = field({ label: 'Project', name: 'project', input: projectSelect }).el;
  projectField.classList.add('generations-toolbar__project');
  const toolbar = h('div', { class: 'page__toolbar generations-toolbar' },
    projectField,
    field({ label: 'Status', name: 'status', input: statusSelect }).el,
    field({ label: 'Type', name: 'type', input: typeSelect }).el);

  const history = createHistory({
    filters,
    live: ctx.live,
    signal: ctx.signal,
    showProject: true,
    projectName,
    typeLabel: (type) => typeLabel(types, type),
    empty: (query) => (query.project_id && !query.status && !query.type
      ? emptyState({
        icon: 'sparkles',
        title: 'No generations in this project yet',
        body: 'Open the project to generate an image, a video or a sound.',
        action: { label: 'Open project', href: `/studio/${encodeURIComponent(query.project_id)}`, icon: 'folder' },
      })
      : query.status || query.type || query.project_id
      ? emptyState({
        icon: 'search',
        title: 'No generations match these filters',
        body: 'Try another project, status or type.',
        action: { label: 'Clear filters', icon: 'close', primary: false, run: clearFilters },
      })
      : emptyState({
        icon: 'sparkles',
        title: 'No generations yet',
        body: 'Open a project and generate an image, a video or a sound: everything you make is listed here.',
        action: { label: 'Go to projects', href: '/studio', icon: 'folder' },
      })),
  });

  main.append(h('section', { class: 'page generations', 'aria-labelledby': 'page-title' }, toolbar, notice, history.el));

  let lastKeyAt = -Infinity;
  let settling = null;
  // The menu whose arrow keys made the entry shown, while it keeps the focus: its next steps
  // rewrite that entry rather than add one each.
  let keyedEntry = null;
  for (const select of [projectSelect, statusSelect, typeSelect]) {
    select.addEventListener('keydown', () => { lastKeyAt = performance.now(); });
    select.addEventListener('blur', () => { if (keyedEntry === select) keyedEntry = null; });
    select.addEventListener('change', () => {
      clearTimeout(settling);
      if (performance.now() - lastKeyAt < KEYED_CHANGE_MS) settling = setTimeout(() => apply(select), KEY_SETTLE_MS);
      else apply();
    });
  }
  if ((ctx.query.get('status') || '') !== filters.status || (ctx.query.get('type') || '') !== filters.type
    || (ctx.query.get('project') || '') !== filters.project_id) {
    setAddress(address(), { replace: true });
  }

  Promise.all([loadTypes(), loadModels()]).then(([loaded]) => {
    types = loaded;
    typeSelect.append(...loaded.map((t) => h('option', { value: t.id }, t.label)));
    typeSelect.value = filters.type;
    history.refreshAll();
  }).catch(() => {});
  if (listed) showProjects(projects);
  else reloadProjects().finally(() => { listed = true; history.refreshAll(); });

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

  // The Project menu follows projects made, renamed or deleted elsewhere.
  const projectsSoon = debounce(() => reloadProjects(), 300);
  const offProjects = ctx.live?.on
    ? ['project.created', 'project.updated', 'project.deleted', 'reset'].map((name) => ctx.live.on(name, projectsSoon))
    : [];

  // Back or Forward between filters: the list follows the address in place.
  ctx.onQuery((query) => {
    const next = fromAddress(query);
    if (listed && next.project_id && !projects.some((p) => p.id === next.project_id)) next.project_id = '';
    clearTimeout(settling);
    keyedEntry = null;
    projectSelect.value = next.project_id;
    statusSelect.value = next.status;
    typeSelect.value = next.type;
    if (next.status === filters.status && next.type === filters.type && next.project_id === filters.project_id) return;
    if (next.project_id !== filters.project_id) notice?.remove();
    Object.assign(filters, next);
    history.setFilters(filters);
  });

  return () => {
    clearTimeout(settling);
    projectsSoon.cancel();
    offRenamed?.();
    offDeleted?.();
    offProjects.forEach((off) => off?.());
    history.destroy();
  };

  // Each choice is a step Back can undo (the page follows the address again: ctx.onQuery); the
  // steps of one walk through a menu with its arrow keys (`keyed`, the menu) are one.
  function apply(keyed = null) {
    if (filters.status === statusSelect.value && filters.type === typeSelect.value
      && filters.project_id === projectSelect.value) return;
    if (filters.project_id !== projectSelect.value) notice?.remove();
    filters.status = statusSelect.value;
    filters.type = typeSelect.value;
    filters.project_id = projectSelect.value;
    setAddress(address(), { replace: Boolean(keyed) && keyedEntry === keyed });
    keyedEntry = keyed && document.activeElement === keyed ? keyed : null;
    history.setFilters(filters);
  }

  // The button goes with the empty state it was in: focus moves to the first filter.
  function clearFilters() {
    projectSelect.value = '';
    statusSelect.value = '';
    typeSelect.value = '';
    apply();
    projectSelect.focus();
  }

  function projectOptions() {
    return [h('option', { value: '' }, 'All projects'), ...projects.map((p) => h('option', { value: p.id }, p.name))];
  }

  async function reloadProjects() {
    try {
      showProjects(await loadProjects({ signal: ctx.signal }));
    } catch {
      // Offline or leaving the page: the next project event, or a reload, brings them.
    }
  }

  function showProjects(fresh) {
    if (ctx.signal.aborted) return;
    projects = fresh;
    for (const project of fresh) names.set(project.id, project.name);
    const hadFocus = document.activeElement === projectSelect;
    replace(projectSelect, ...projectOptions());
    const kept = fresh.some((p) => p.id === filters.project_id) ? filters.project_id : '';
    projectSelect.value = kept;
    if (hadFocus) projectSelect.focus();
    if (kept !== filters.project_id) {
      // The project listed was deleted elsewhere: every project's generations, in its place
      // in the browser's history (not a new step).
      filters.project_id = kept;
      setAddress(address(), { replace: true });
      history.setFilters(filters);
    }
  }

  /** The filters an address asks for; a value the API would refuse (an old or edited link) is
   * dropped, not shown as an error. */
  function fromAddress(query) {
    const allowed = (value, values) => (values.includes(value) ? value : '');
    return {
      status: allowed(query.get('status') || '', STATUSES.map(([value]) => value)),
      type: allowed(query.get('type') || '', Object.keys(TYPE_ICONS)),
      project_id: query.get('project') || '',
    };
  }

  function address() {
    const query = new URLSearchParams();
    if (filters.project_id) query.set('project', filters.project_id);
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

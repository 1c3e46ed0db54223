// asset-gallery: a person's files, in one project (the project page's Assets tab) or across all
// of them (the Assets page).
//
//   const cleanup = mountGallery(container, { projectId, signal, live });          // one project
//   const cleanup = mountGallery(container, { projects, signal, live });           // all projects
//   (also `navigate` (defaults to the router's) and `embedded` (inside a tab: a tighter toolbar))
//   cleanup.setFilters({q, type, favorite, project});   // the address's filters (Back, Forward)
//
// Toolbar: search (API `q`), media type, favorites, project (all-projects only), grid/list view
// (remembered in prefs.galleryView), Upload (file picker or files dropped on the gallery; on the
// all-projects gallery the person picks the project unless one is filtered). Items open the viewer
// (./viewer.js, loaded when first needed), download, favorite, rename, delete, and "use as
// reference" (a `studio:use-reference` event on document; from elsewhere, sessionStorage
// `studio.pendingReference` + a visit to the asset's project). Items are draggable:
// `application/x-studio-asset` carries {id, project_id, media_type, thumbnail_url, name, width,
// height, size}: what the reference slot shows of it.
// Pages of 50 load as the person scrolls; live `asset.created`/`asset.updated`/`asset.deleted`
// keep it current (a rename or a star in another tab, or by a program, shows here too). After a
// `reset` (a new stream that could not resume) the loaded cards and the scroll stay: the newest
// pages are merged in (ui/first-pages.js).

import { api, causedHere, errorMessage } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { setFavorite } from '../favorites.js';
import { SEARCH_MAX } from '../limits.js';
import { navigate } from '../router.js';
import { prefs } from '../store.js';
import { emptyState, errorState, showsFailure } from '../ui/empty.js';
import { newestPages } from '../ui/first-pages.js';
import { atLeast, count } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { confirmDelete, renameDialog } from '../ui/rename.js';
import { announce, toast } from '../ui/toast.js';
import { assetCard, assetRow, assetTable, skeletonAssetCard, skeletonAssetRow } from './gallery-items.js';
import { chooseProject, loadProjects } from './gallery-projects.js';
import { uploadTray } from './gallery-upload.js';

const PAGE_SIZE = 50;
const DRAG_TYPE = 'application/x-studio-asset';
const PENDING_REFERENCE = 'studio.pendingReference';
const TYPES = [
  { value: '', label: 'All' },
  { value: 'image', label: 'Images', icon: 'image' },
  { value: 'video', label: 'Video', icon: 'video' },
  { value: 'audio', label: 'Audio', icon: 'audio' },
  { value: 'model3d', label: '3D', icon: 'cube' },
];

/**
 * `filters`: where to start ({q, type, favorite, project}, e.g. from the address);
 * `onFilters(filters)`: called with them whenever the list is asked for anew.
 */
export function mountGallery(container, { projectId = null, projects = null, signal, live, navigate: go = navigate, embedded = false, filters = {}, onFilters = null } = {}) {
  const allProjects = !projectId;
  let projectList = projects || [];
  const projectNames = new Map(projectList.map((p) => [p.id, p.name]));
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal?.addEventListener('abort', stop, { once: true });
  const own = controller.signal;

  const state = {
    view: prefs.galleryView === 'list' ? 'list' : 'grid',
    q: (filters.q || '').slice(0, SEARCH_MAX),
    type: TYPES.some((t) => t.value === filters.type) ? filters.type : '',
    favorite: Boolean(filters.favorite),
    project: projects?.some((p) => p.id === filters.project) ? filters.project : '',
    items: [],
    cursor: null,
    loading: false,
    generation: 0,
    loaded: false,
  };
  const elements = new Map(); // asset id → card or row
  let pendingTarget = null;

  // --- toolbar ---------------------------------------------------------------------------
  const search = h('input', {
    class: 'input',
    type: 'search',
    placeholder: allProjects ? 'Search all assets' : 'Search assets',
    maxlength: SEARCH_MAX,
    'aria-label': 'Search assets',
    autocomplete: 'off',
  });
  const typeButtons = TYPES.map((type) => h('button', {
    type: 'button',
    class: 'gallery-chip',
    dataset: { type: type.value || 'all' },
    onclick: () => setType(type.value),
  }, type.icon && icon(type.icon, { size: 'sm' }), type.label));
  const favoriteFilter = h('button', {
    type: 'button',
    class: 'gallery-chip gallery-chip--favorite',
    onclick: () => {
      state.favorite = !state.favorite;
      syncChips();
      start();
    },
  }, icon('star', { size: 'sm' }), 'Favorites');
  const projectSelect = allProjects && projects
    ? h('select', {
      class: 'select gallery-project',
      'aria-label': 'Project',
      onchange: () => {
        state.project = projectSelect.value;
        start();
      },
    }, projectOptions())
    : null;
  search.value = state.q;
  if (projectSelect) projectSelect.value = state.project;
  const gridButton = h('button', { type: 'button', 'aria-pressed': String(state.view === 'grid'), onclick: () => setView('grid') },
    icon('grid', { label: 'Grid view', size: 'sm' }));
  const listButton = h('button', { type: 'button', 'aria-pressed': String(state.view === 'list'), onclick: () => setView('list') },
    icon('list', { label: 'List view', size: 'sm' }));
  const fileInput = h('input', {
    type: 'file',
    multiple: true,
    hidden: true,
    accept: 'image/*,video/*,audio/*',
    'aria-label': 'Upload files',
    dataset: { testid: 'gallery-file-input' },
  });
  const canUpload = () => !allProjects || projectList.length > 0;
  const uploadButton = h('button', {
    type: 'button',
    class: 'button button--primary gallery-upload',
    hidden: !canUpload(),
    onclick: () => pickFiles(),
  }, icon('upload'), h('span', 'Upload'));
  const summary = h('p', { class: 'gallery__summary', 'aria-live': 'polite' });
  syncChips();

  const toolbar = h('div', { class: 'gallery__toolbar' },
    h('div', { class: 'gallery__toolbar-row' },
      h('div', { class: 'search gallery__search' }, icon('search'), search),
      projectSelect,
      h('div', { class: 'segmented gallery__views', role: 'group', 'aria-label': 'View' }, gridButton, listButton),
      uploadButton,
      fileInput),
    h('div', { class: 'gallery__toolbar-row gallery__filters' },
      h('div', { class: 'gallery__chips', role: 'group', 'aria-label': 'Media type' }, typeButtons),
      h('span', { class: 'gallery__divider', 'aria-hidden': 'true' }),
      favoriteFilter,
      summary));

  let hiddenUploads = 0;
  const tray = uploadTray({
    signal: own,
    // The last row dismissed: focus goes back to where uploads start.
    fallbackFocus: () => (uploadButton.hidden ? search : uploadButton),
    onUploaded: (asset) => {
      if (!insert(asset, { announceIt: false }) && !elements.has(asset.id)) hiddenUploads += 1;
    },
  });
  const body = h('div', { class: 'gallery__body' });
  const more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => loadMore() }, 'Load more');
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const dropHint = h('div', { class: 'gallery__drop', 'aria-hidden': 'true' },
    h('div', { class: 'gallery__drop-inner' }, icon('upload'), h('span', 'Drop files to upload')));
  const root = h('section', {
    class: ['gallery', `gallery--${state.view}`, embedded && 'gallery--embedded'],
    'aria-label': allProjects ? 'All assets' : 'Project assets',
    dataset: { testid: 'gallery' },
  }, toolbar, tray.el, body, dropHint);
  container.append(root);

  let itemsEl = null; // the grid or the tbody
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && state.cursor && !state.loading) loadMore();
  }, { rootMargin: '400px 0px' });

  const onSearch = debounce(() => {
    state.q = search.value.trim();
    start();
  }, 250);
  search.addEventListener('input', onSearch);
  fileInput.addEventListener('change', async () => {
    const files = [...fileInput.files];
    fileInput.value = '';
    const target = pendingTarget;
    pendingTarget = null;
    if (files.length) await uploadFiles(files, target);
  });

  // Files dropped anywhere on the gallery are uploaded (not assets dragged from it).
  let dragDepth = 0;
  const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes('Files');
  root.addEventListener('dragenter', (event) => {
    if (!hasFiles(event) || !canUpload()) return;
    event.preventDefault();
    dragDepth += 1;
    root.classList.add('is-drop-target');
  });
  root.addEventListener('dragover', (event) => {
    if (!hasFiles(event) || !canUpload()) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  root.addEventListener('dragleave', (event) => {
    if (!hasFiles(event)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) root.classList.remove('is-drop-target');
  });
  root.addEventListener('drop', (event) => {
    if (!hasFiles(event) || !canUpload()) return;
    event.preventDefault();
    dragDepth = 0;
    root.classList.remove('is-drop-target');
    const files = [...event.dataTransfer.files];
    if (files.length) uploadFiles(files, null);
  });

  // A new stream that could not resume: the loaded cards and the scroll stay (catchUp).
  const reloadSoon = debounce(() => catchUp(), 300);
  // A project made, renamed or removed elsewhere changes the project filter, the upload targets
  // and the names on the cards: those follow, and the list, its scroll, the focus, the search
  // being typed and the uploads under way stay as they are.
  const projectsSoon = debounce(() => reloadProjects(), 300);
  const offs = live?.on ? [
    live.on('asset.created', (data) => onCreated(data)),
    live.on('asset.updated', (data) => onUpdated(data)),
    live.on('asset.deleted', (data) => data?.asset_id && removeItem(data.asset_id)),
    live.on('reset', reloadSoon),
    ...(allProjects ? ['project.created', 'project.updated', 'project.deleted', 'reset'].map((name) => live.on(name, projectsSoon)) : []),
  ] : [];

  // What each card's buttons do (the functions are below).
  const handlers = {
    open: (asset) => openAsset(asset),
    favorite: (asset, button) => toggleFavorite(asset, button),
    reference: (asset) => useAsReference(asset),
    rename: (asset) => rename(asset),
    remove: (asset) => removeAsset(asset),
    dragstart: (asset, event) => dragStart(asset, event),
  };

  start();

  function cleanup() {
    stop();
    observer.disconnect();
    onSearch.cancel();
    reloadSoon.cancel();
    projectsSoon.cancel();
    offs.forEach((off) => off());
    signal?.removeEventListener('abort', stop);
    root.remove();
  }
  // Filters from the address (a step Back or Forward): the list follows them in place, so the
  // uploads under way, the view and the focus stay.
  cleanup.setFilters = setFilters;
  return cleanup;

  function setFilters(next = {}) {
    onSearch.cancel();
    state.q = (next.q || '').slice(0, SEARCH_MAX);
    state.type = TYPES.some((t) => t.value === next.type) ? next.type : '';
    state.favorite = Boolean(next.favorite);
    state.project = projectList.some((p) => p.id === next.project) ? next.project : '';
    search.value = state.q;
    if (projectSelect) projectSelect.value = state.project;
    syncChips();
    start();
  }

  // --- projects (all-projects gallery) ----------------------------------------------------
  function projectOptions() {
    return [h('option', { value: '' }, 'All projects'), ...projectList.map((p) => h('option', { value: p.id }, p.name))];
  }

  async function reloadProjects() {
    let fresh;
    try {
      fresh = await loadProjects({ signal: own });
    } catch {
      return; // the network blinked: the next change, or a reload, brings them
    }
    if (own.aborted) return;
    const couldUpload = canUpload();
    projectList = fresh;
    const renamed = fresh.filter((p) => projectNames.has(p.id) && projectNames.get(p.id) !== p.name);
    projectNames.clear();
    fresh.forEach((p) => projectNames.set(p.id, p.name));
    if (projectSelect) {
      const chosen = projectSelect.value;
      const hadFocus = document.activeElement === projectSelect;
      replace(projectSelect, ...projectOptions());
      const kept = projectNames.has(chosen) ? chosen : '';
      projectSelect.value = kept;
      if (hadFocus) projectSelect.focus();
      if (kept !== state.project) {
        state.project = kept; // the filtered project is gone: every project's assets
        start({ quiet: true });
        return;
      }
    }
    uploadButton.hidden = !canUpload();
    if (canUpload() !== couldUpload && !state.items.length && state.loaded) renderItems();
    const names = new Set(renamed.map((p) => p.id));
    state.items.filter((asset) => names.has(asset.project_id)).forEach((asset) => replaceItem(asset));
  }

  // --- loading ---------------------------------------------------------------------------
  function listPath() {
    return projectId ? `/projects/${encodeURIComponent(projectId)}/assets` : '/assets';
  }

  function query(cursor) {
    return {
      q: state.q || null,
      media_type: state.type || null,
      favorite: state.favorite ? 'true' : null,
      project_id: allProjects && state.project ? state.project : null,
      limit: PAGE_SIZE,
      cursor,
    };
  }

  function filtered() {
    return Boolean(state.q || state.type || state.favorite || state.project);
  }

  async function start({ quiet = false, again = false } = {}) {
    onFilters?.({ q: state.q, type: state.type, favorite: state.favorite, project: state.project });
    const mine = ++state.generation;
    state.cursor = null;
    state.loading = true;
    // Asked again (by itself, or Try again): the failure stays in view, its button busy
    // (ui/empty.js), rather than skeletons for as long as a hung service takes to time out.
    if (!(again && showsFailure(body)) && (!quiet || !state.loaded)) {
      showSkeleton();
      summary.textContent = ''; // the count of other filters is not this list's
    }
    try {
      const page = await api.get(listPath(), query(null), { signal: own });
      if (mine !== state.generation) return;
      state.items = page.items;
      state.cursor = page.next_cursor;
      state.loaded = true;
      renderItems();
    } catch (error) {
      if (own.aborted || mine !== state.generation) return;
      body.removeAttribute('aria-busy'); // done: the failure is to be read now
      replace(body, errorState({ error, retry: () => start({ again: true }) }));
      summary.textContent = '';
    } finally {
      if (mine === state.generation) state.loading = false;
    }
  }

  /** After a `reset`: the newest pages update the cards they hold, add the new ones at the top
   * and take off those deleted meanwhile; older loaded cards, and the scroll, stay. */
  async function catchUp() {
    if (!state.loaded || !itemsEl || showsFailure(body)) {
      start({ quiet: true });
      return;
    }
    const mine = state.generation;
    let news;
    try {
      news = await newestPages((from) => api.get(listPath(), query(from), { signal: own }), state.items.map((item) => item.id));
    } catch {
      return; // the network blinked again: the next reset, or a reload, shows the truth
    }
    if (mine !== state.generation) return; // the filters changed meanwhile: that list holds
    if (!news) {
      start({ quiet: true });
      return;
    }
    news.gone.forEach(removeItem);
    const next = news.cursor === undefined ? state.cursor : news.cursor;
    if (news.cursor !== undefined) state.cursor = null; // every item of the pages has its place
    const listed = new Map(state.items.map((item) => [item.id, item]));
    for (const asset of news.items) {
      const known = listed.get(asset.id);
      if (!known) insert(asset, { announceIt: false });
      else if (JSON.stringify(known) !== JSON.stringify(asset)) updateItem(asset);
    }
    state.cursor = next;
    if (itemsEl) updateSummary();
  }

  async function loadMore() {
    if (!state.cursor || state.loading) return;
    const mine = state.generation;
    state.loading = true;
    more.setAttribute('aria-busy', 'true');
    try {
      const page = await api.get(listPath(), query(state.cursor), { signal: own });
      if (mine !== state.generation) return;
      state.cursor = page.next_cursor;
      const fresh = page.items.filter((asset) => !elements.has(asset.id));
      state.items.push(...fresh);
      if (itemsEl) itemsEl.append(...fresh.map(render));
      updateSummary();
    } catch (error) {
      if (!own.aborted) toast(errorMessage(error), { kind: 'error', signal: own, action: { label: 'Retry', run: loadMore } });
    } finally {
      more.removeAttribute('aria-busy');
      if (mine === state.generation) state.loading = false;
    }
  }

  function showSkeleton() {
    elements.clear();
    itemsEl = null;
    body.setAttribute('aria-busy', 'true');
    replace(body, state.view === 'grid'
      ? h('div', { class: 'gallery-grid', 'aria-hidden': 'true' }, Array.from({ length: 8 }, skeletonAssetCard))
      : h('div', { class: 'gallery-skeleton-list', 'aria-hidden': 'true' }, Array.from({ length: 6 }, skeletonAssetRow)));
  }

  function renderItems() {
    body.removeAttribute('aria-busy');
    elements.clear();
    observer.disconnect();
    if (!state.items.length) {
      itemsEl = null;
      replace(body, emptyView());
      updateSummary();
      return;
    }
    let list;
    if (state.view === 'grid') {
      list = h('div', { class: 'gallery-grid', dataset: { testid: 'gallery-items' } });
      itemsEl = list;
    } else {
      const { table, body: rows } = assetTable({ showProject: allProjects });
      list = h('div', { class: 'asset-table-wrap', dataset: { testid: 'gallery-items' } }, table);
      itemsEl = rows;
    }
    itemsEl.append(...state.items.map(render));
    replace(body, list, h('div', { class: 'load-more' }, more), sentinel);
    updateSummary();
    observer.observe(sentinel);
  }

  function render(asset) {
    const options = { showProject: allProjects, projectName: projectNames.get(asset.project_id) };
    const el = state.view === 'grid' ? assetCard(asset, handlers, options) : assetRow(asset, handlers, options);
    elements.set(asset.id, el);
    return el;
  }

  function updateSummary() {
    more.hidden = !state.cursor;
    const shown = state.items.length;
    // Under filters the count stays, "no assets" included: it is what the live region announces
    // when a filter leaves nothing. Unfiltered and empty, the empty state says it instead.
    // With more pages to load the count is a floor: "50+ assets".
    summary.textContent = shown || filtered() ? (state.cursor ? atLeast(shown, 'assets') : count(shown, 'asset')) : '';
  }

  function emptyView() {
    // Favorites alone and none yet: say how to make one, not that a filter matched nothing.
    if (state.favorite && !state.q && !state.type && !state.project) {
      return emptyState({
        icon: 'star',
        title: 'No favorites yet',
        body: 'Mark an asset with its star, on its card or in the viewer, to keep it here.',
        action: { label: 'Show all assets', icon: 'assets', primary: false, run: clearFilters },
      });
    }
    if (filtered()) {
      return emptyState({
        icon: 'search',
        title: 'No assets match',
        body: 'Nothing here fits these filters. Try another word or type, or show everything.',
        action: { label: 'Clear filters', icon: 'close', primary: false, run: clearFilters },
      });
    }
    if (allProjects && !canUpload()) {
      return emptyState({
        icon: 'assets',
        title: 'No assets yet',
        body: 'Files you upload and everything you generate show up here. Start with a project.',
        action: { label: 'New project', href: '/studio/new', icon: 'plus' },
      });
    }
    return emptyState({
      icon: 'assets',
      title: allProjects ? 'No assets yet' : 'No assets in this project yet',
      body: allProjects
        ? 'Upload images, video or sound to use as references, or generate something in a project: every result lands here.'
        : 'Upload images, video or sound to use as references, or generate something: every result lands here. You can also drop files on this area.',
      action: { label: 'Upload files', icon: 'upload', run: () => pickFiles() },
    });
  }

  function clearFilters() {
    search.value = '';
    state.q = '';
    setType('', { reload: false }); // "All" turns favorites off as well
    if (projectSelect) projectSelect.value = '';
    state.project = '';
    start();
    search.focus();
  }

  // The chips read as one row, so "All" means everything: it lifts the favorites restriction
  // too, and it is only pressed while nothing (type or favorites) narrows the list. A type keeps
  // favorites on, and both chips show pressed: the row always says what is listed.
  function setType(value, { reload = true } = {}) {
    state.type = value;
    if (!value) state.favorite = false;
    syncChips();
    if (reload) start();
  }

  function syncChips() {
    typeButtons.forEach((button, i) => {
      const pressed = TYPES[i].value ? TYPES[i].value === state.type : !state.type && !state.favorite;
      button.setAttribute('aria-pressed', String(pressed));
    });
    favoriteFilter.setAttribute('aria-pressed', String(state.favorite));
  }

  function setView(view) {
    if (view === state.view) return;
    state.view = view;
    prefs.galleryView = view;
    gridButton.setAttribute('aria-pressed', String(view === 'grid'));
    listButton.setAttribute('aria-pressed', String(view === 'list'));
    root.classList.toggle('gallery--grid', view === 'grid');
    root.classList.toggle('gallery--list', view === 'list');
    if (state.loaded) renderItems();
    else showSkeleton();
  }

  // --- changes ---------------------------------------------------------------------------
  function matches(asset) {
    if (projectId && asset.project_id !== projectId) return false;
    if (state.project && asset.project_id !== state.project) return false;
    if (state.type && asset.media_type !== state.type) return false;
    if (state.favorite && !asset.favorite) return false;
    if (state.q) {
      const needle = state.q.toLowerCase();
      const haystack = [asset.name, asset.original_filename, asset.prompt, ...(asset.tags || [])];
      if (!haystack.some((text) => text && text.toLowerCase().includes(needle))) return false;
    }
    return true;
  }

  /** `asset` joins the list at its place, newest first as the server lists them (ids are
   * time-ordered): a new asset at the top, an older one starred elsewhere among its dates. One
   * older than every loaded item waits for its page, unless every page is loaded. */
  function insert(asset, { announceIt = true } = {}) {
    if (!state.loaded || elements.has(asset.id) || !matches(asset)) return false;
    const at = state.items.findIndex((item) => item.id < asset.id);
    if (at < 0 && state.cursor) return false;
    const index = at < 0 ? state.items.length : at;
    state.items.splice(index, 0, asset);
    if (!itemsEl) {
      renderItems();
    } else {
      const el = render(asset);
      el.classList.add('is-new');
      const next = state.items[index + 1];
      itemsEl.insertBefore(el, next ? elements.get(next.id) || null : null);
      updateSummary();
    }
    if (announceIt) announce(`New asset: ${asset.name}`);
    return true;
  }

  async function onCreated(data) {
    if (!data?.asset_id || elements.has(data.asset_id)) return;
    if (projectId && data.project_id !== projectId) return;
    if (state.project && data.project_id !== state.project) return;
    if (state.type && data.media_type !== state.type) return;
    if (state.favorite) return; // a new asset is never a favorite yet
    try {
      const asset = await api.get(`/assets/${encodeURIComponent(data.asset_id)}`, undefined, { signal: own });
      insert(asset);
    } catch {
      // Gone again already, or the network blinked: the next reload shows the truth.
    }
  }

  /** Renamed, tagged or starred elsewhere: the card follows (and leaves, or joins, a filtered
   * list). This tab's own changes come back this way too: those are shown already, by the code
   * that made them and says what became of them, so their echo is left alone. */
  async function onUpdated(data) {
    if (!data?.asset_id || !state.loaded || causedHere(data.request_id)) return;
    const listed = state.items.find((item) => item.id === data.asset_id);
    if (listed) {
      const asset = { ...listed, name: data.name, tags: data.tags || [], favorite: Boolean(data.favorite) };
      const same = asset.name === listed.name && asset.favorite === listed.favorite
        && JSON.stringify(asset.tags) === JSON.stringify(listed.tags || []);
      if (!same) updateItem(asset);
      return;
    }
    // Not listed: only a filter could have kept it out, and it may match now.
    if (!filtered() || (projectId && data.project_id !== projectId)) return;
    try {
      const asset = await api.get(`/assets/${encodeURIComponent(data.asset_id)}`, undefined, { signal: own });
      insert(asset, { announceIt: false });
    } catch {
      // Gone meanwhile, or the network blinked: the next reload shows the truth.
    }
  }

  function replaceItem(asset) {
    const index = state.items.findIndex((item) => item.id === asset.id);
    if (index < 0) return;
    state.items[index] = asset;
    const old = elements.get(asset.id);
    if (!old) return;
    const hadFocus = old.contains(document.activeElement) ? document.activeElement.dataset.action : null;
    const fresh = render(asset);
    old.replaceWith(fresh);
    if (hadFocus) fresh.querySelector(`[data-action="${hadFocus}"]`)?.focus();
  }

  /** A changed asset stays listed only while it still matches the filters and search: the
   * chips' pressed states always say what is listed (docs/studio.md). Unstarred under
   * Favorites, or renamed out of the search, it leaves the list. False when it left. */
  function updateItem(asset) {
    if (matches(asset)) {
      replaceItem(asset);
      return true;
    }
    const listed = elements.has(asset.id);
    removeItem(asset.id);
    return !listed;
  }

  function removeItem(id) {
    const index = state.items.findIndex((item) => item.id === id);
    if (index < 0) return;
    const el = elements.get(id);
    const hadFocus = el?.contains(document.activeElement);
    state.items.splice(index, 1);
    elements.delete(id);
    el?.remove();
    if (!state.items.length) {
      renderItems();
      if (hadFocus) search.focus();
      return;
    }
    updateSummary();
    if (hadFocus) {
      const next = state.items[Math.min(index, state.items.length - 1)];
      elements.get(next.id)?.querySelector('[data-action="open"]')?.focus();
    }
  }

  // --- uploads ---------------------------------------------------------------------------
  async function uploadTarget() {
    if (projectId) return projectId;
    if (state.project) return state.project;
    if (!projectList.length) return null;
    if (projectList.length === 1) return projectList[0].id;
    const chosen = await chooseProject({
      projects: projectList,
      title: 'Upload to which project?',
      body: 'Files belong to a project. Choose the one to add them to.',
      confirmLabel: 'Choose files',
    });
    return chosen || null;
  }

  async function pickFiles() {
    const target = await uploadTarget();
    if (!target) return;
    pendingTarget = target;
    fileInput.click();
  }

  async function uploadFiles(files, target) {
    const destination = target || (await uploadTarget());
    if (!destination) return;
    hiddenUploads = 0;
    const { ok, failed } = await tray.uploadAll(files, destination);
    if (own.aborted) return;
    if (failed) {
      toast(failed === 1 && ok === 0 ? 'The upload failed; the reason is in the list of uploads.' : `${failed} of ${ok + failed} uploads failed.`, { kind: 'error' });
    } else if (hiddenUploads) {
      toast(`${count(hiddenUploads, 'file')} uploaded; the current filters hide ${hiddenUploads === 1 ? 'it' : 'them'}.`, {
        kind: 'info',
        action: { label: 'Clear filters', run: clearFilters },
      });
    }
  }

  // --- item actions ----------------------------------------------------------------------
  async function openAsset(asset) {
    let viewer;
    try {
      viewer = await import('./viewer.js');
    } catch {
      window.open(asset.content_url, '_blank', 'noopener');
      return;
    }
    const items = [...state.items];
    const index = Math.max(0, items.findIndex((item) => item.id === asset.id));
    viewer.openViewer({
      items,
      index,
      more: state.cursor ? morePages : null,
      // Its file deleted in the viewer: the card now in its place (the next one), else the one
      // before; none left, the page's content (the dialog's own fallback).
      returnFocus: () => openButton(elements.get(asset.id))
        || openButton(elements.get(state.items[Math.min(index, state.items.length - 1)]?.id)),
      actions: {
        onChange: (changed, previous) => {
          if (changed) {
            if (!updateItem(changed)) announce(`${changed.name} no longer matches; it left the list.`);
          } else {
            const gone = previous?.id || previous;
            if (typeof gone === 'string') removeItem(gone);
            else reconcile();
          }
        },
      },
    });
  }

  /** The viewer's next assets: the gallery's next page, loaded into the gallery as well. All the
   * gallery holds is given (the viewer keeps those it lacks), so a page the scrolling loaded
   * meanwhile is not skipped. */
  async function morePages() {
    await loadMore();
    return { items: state.items, done: !state.cursor };
  }

  /** After a deletion the viewer did not name: drop whatever no longer exists. */
  async function reconcile() {
    for (const item of [...state.items]) {
      try {
        await api.get(`/assets/${encodeURIComponent(item.id)}`, undefined, { signal: own });
      } catch (error) {
        if (error?.status === 404) removeItem(item.id);
        if (own.aborted) return;
      }
    }
  }

  function toggleFavorite(asset, button) {
    return starAs(asset, button.getAttribute('aria-pressed') !== 'true');
  }

  async function starAs(asset, wanted) {
    showStar(asset.id, wanted);
    let updated;
    try {
      updated = await setFavorite(asset.id, wanted, { signal: own });
    } catch (error) {
      if (own.aborted) return;
      const listed = state.items.find((item) => item.id === asset.id);
      showStar(asset.id, Boolean(listed?.favorite));
      toast(errorMessage(error), { kind: 'error', signal: own, action: { label: 'Retry', run: () => starAs(asset, wanted) } });
      return;
    }
    if (!updated) return; // a quick second press: the press being sent answers for both
    const kept = updateItem(updated);
    announce(updated.favorite ? `${updated.name} added to favorites`
      : `${updated.name} removed from favorites${kept ? '' : ' and from this list'}`);
  }

  function openButton(el) {
    return el?.querySelector('[data-action="open"]') || null;
  }

  function showStar(assetId, on) {
    elements.get(assetId)?.querySelector('[data-action="favorite"]')?.setAttribute('aria-pressed', String(on));
  }

  function useAsReference(asset) {
    const onItsPage = location.pathname === `/studio/${asset.project_id}`;
    if (onItsPage) {
      document.dispatchEvent(new CustomEvent('studio:use-reference', { detail: { asset } }));
      return;
    }
    try {
      sessionStorage.setItem(PENDING_REFERENCE, JSON.stringify(asset));
    } catch {
      // Storage blocked: the project opens without the reference.
    }
    go(`/studio/${encodeURIComponent(asset.project_id)}`);
  }

  function dragStart(asset, event) {
    const dt = event.dataTransfer;
    if (!dt) return;
    const payload = {
      id: asset.id, project_id: asset.project_id, media_type: asset.media_type, thumbnail_url: asset.thumbnail_url,
      name: asset.name, width: asset.width, height: asset.height, size: asset.size,
    };
    dt.setData(DRAG_TYPE, JSON.stringify(payload));
    dt.setData('text/uri-list', new URL(asset.content_url, location.origin).href);
    dt.effectAllowed = 'copy';
    const img = event.currentTarget?.querySelector?.('img');
    if (img && img.complete && dt.setDragImage) dt.setDragImage(img, 24, 24);
    event.currentTarget?.classList?.add('is-dragging');
  }

  async function rename(asset) {
    const updated = await renameDialog({
      title: 'Rename asset',
      current: asset.name,
      empty: 'Give the asset a name.',
      save: (value) => api.patch(`/assets/${encodeURIComponent(asset.id)}`, { name: value }, { signal: own }),
    });
    if (!updated) return;
    // Only once the dialog has given focus back to the Rename button: the card drawn anew then
    // keeps it there (one drawn while the dialog was open took its opener away, and focus fell
    // to the page). Renamed out of the search, it leaves the list and focus moves on to a
    // neighbour (or the search). The toast is in a live region: it says why.
    const kept = updateItem(updated);
    toast(`Renamed to “${updated.name}”.${kept ? '' : ' The search no longer matches it.'}`, { kind: 'success' });
  }

  async function removeAsset(asset) {
    const outcome = await confirmDelete({
      name: asset.name,
      body: 'The file is removed from storage and from this gallery. Generations that made it keep their record. This cannot be undone.',
      remove: () => api.del(`/assets/${encodeURIComponent(asset.id)}`, { signal: own }),
      signal: own,
      retry: () => removeAsset(asset),
    });
    if (!outcome) return;
    removeItem(asset.id);
    if (outcome === 'gone') toast(`“${asset.name}” was already deleted.`, { kind: 'info' });
    else toast(`Deleted “${asset.name}”.`, { kind: 'success' });
  }
}

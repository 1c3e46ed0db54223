// asset-gallery: a person's files, in one project (the project page's Assets tab) or across all
// of them (the Assets page).
//
//   const cleanup = mountGallery(container, { projectId, signal, live });          // one project
//   const cleanup = mountGallery(container, { projects, signal, live });           // all projects
//   (also `navigate` (defaults to the router's) and `embedded` (inside a tab: a tighter toolbar))
//   cleanup.setFilters({q, type, favorite, project});   // the address's filters (Back, Forward)
//
// Toolbar (./gallery-toolbar.js): search (API `q`), media type, favorites, project (all-projects
// only), grid/list view (remembered in prefs.galleryView), Upload (file picker or files dropped on
// the gallery; on the all-projects gallery the person picks the project unless one is filtered;
// the tray is ./gallery-upload.js). Items (./gallery-items.js) open the viewer (./viewer.js,
// loaded when first needed), download, favorite, rename, delete, and "use as reference" (a
// `studio:use-reference` event on document; from elsewhere, sessionStorage
// `studio.pendingReference` + a visit to the asset's project). Items are draggable:
// `application/x-studio-asset` carries {id, project_id, media_type, thumbnail_url, name, width,
// height, size}: what the reference slot shows of it (the actions are ./gallery-actions.js).
// Pages of 50 load as the person scrolls (./gallery-list.js); live `asset.created`/
// `asset.updated`/`asset.deleted` keep it current (a rename or a star in another tab, or by a
// program, shows here too). After a `reset` (a new stream that could not resume) the loaded cards
// and the scroll stay: the newest pages are merged in (./gallery-live.js). This module holds the
// filters, the project list, the uploads and the wiring between those parts.

import { debounce, h, replace } from '../dom.js';
import { SEARCH_MAX } from '../limits.js';
import { navigate } from '../router.js';
import { prefs } from '../store.js';
import { emptyState } from '../ui/empty.js';
import { count } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { toast } from '../ui/toast.js';
import { galleryActions } from './gallery-actions.js';
import { filtered, galleryList } from './gallery-list.js';
import { galleryLive } from './gallery-live.js';
import { chooseProject, loadProjects } from './gallery-projects.js';
import { galleryToolbar, projectOptions, TYPES } from './gallery-toolbar.js';
import { uploadTray } from './gallery-upload.js';

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

  const canUpload = () => !allProjects || projectList.length > 0;
  const toolbar = galleryToolbar({
    state,
    projects,
    allProjects,
    canUpload,
    onType: (value) => setType(value),
    onFavorite: () => {
      state.favorite = !state.favorite;
      toolbar.syncChips();
      list.start();
    },
    onProject: (value) => {
      state.project = value;
      list.start();
    },
    onView: (view) => setView(view),
    onUpload: () => pickFiles(),
  });
  const { search, projectSelect, uploadButton, fileInput } = toolbar;

  let hiddenUploads = 0;
  const tray = uploadTray({
    signal: own,
    // The last row dismissed: focus goes back to where uploads start.
    fallbackFocus: () => (uploadButton.hidden ? search : uploadButton),
    onUploaded: (asset) => {
      if (!changes.insert(asset, { announceIt: false }) && !elements.has(asset.id)) hiddenUploads += 1;
    },
  });
  // The three parts call one another only once the gallery is running, hence the arrows.
  const handlers = galleryActions({
    state,
    elements,
    signal: own,
    go,
    loadMore: () => list.loadMore(),
    updateItem: (asset) => changes.updateItem(asset),
    removeItem: (id) => changes.removeItem(id),
  });
  const list = galleryList({
    state, projectId, projectNames, elements, handlers, summary: toolbar.summary, signal: own, onFilters, emptyView,
  });
  const changes = galleryLive({ state, projectId, elements, list, search, signal: own });
  const dropHint = h('div', { class: 'gallery__drop', 'aria-hidden': 'true' },
    h('div', { class: 'gallery__drop-inner' }, icon('upload'), h('span', 'Drop files to upload')));
  const root = h('section', {
    class: ['gallery', `gallery--${state.view}`, embedded && 'gallery--embedded'],
    'aria-label': allProjects ? 'All assets' : 'Project assets',
    dataset: { testid: 'gallery' },
  }, toolbar.el, tray.el, list.body, dropHint);
  container.append(root);

  const onSearch = debounce(() => {
    state.q = search.value.trim();
    list.start();
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
  const reloadSoon = debounce(() => changes.catchUp(), 300);
  // A project made, renamed or removed elsewhere changes the project filter, the upload targets
  // and the names on the cards: those follow, and the list, its scroll, the focus, the search
  // being typed and the uploads under way stay as they are.
  const projectsSoon = debounce(() => reloadProjects(), 300);
  const offs = live?.on ? [
    live.on('asset.created', (data) => changes.onCreated(data)),
    live.on('asset.updated', (data) => changes.onUpdated(data)),
    live.on('asset.deleted', (data) => data?.asset_id && changes.removeItem(data.asset_id)),
    live.on('reset', reloadSoon),
    ...(allProjects ? ['project.created', 'project.updated', 'project.deleted', 'reset'].map((name) => live.on(name, projectsSoon)) : []),
  ] : [];

  list.start();

  function cleanup() {
    stop();
    list.disconnect();
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
    toolbar.syncChips();
    list.start();
  }

  // --- projects (all-projects gallery) ----------------------------------------------------
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
      replace(projectSelect, ...projectOptions(projectList));
      const kept = projectNames.has(chosen) ? chosen : '';
      projectSelect.value = kept;
      if (hadFocus) projectSelect.focus();
      if (kept !== state.project) {
        state.project = kept; // the filtered project is gone: every project's assets
        list.start({ quiet: true });
        return;
      }
    }
    uploadButton.hidden = !canUpload();
    if (canUpload() !== couldUpload && !state.items.length && state.loaded) list.renderItems();
    const names = new Set(renamed.map((p) => p.id));
    state.items.filter((asset) => names.has(asset.project_id)).forEach((asset) => changes.replaceItem(asset));
  }

  // --- filters and view ------------------------------------------------------------------
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
    if (filtered(state)) {
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
    list.start();
    search.focus();
  }

  // The chips read as one row, so "All" means everything: it lifts the favorites restriction
  // too, and it is only pressed while nothing (type or favorites) narrows the list. A type keeps
  // favorites on, and both chips show pressed: the row always says what is listed.
  function setType(value, { reload = true } = {}) {
    state.type = value;
    if (!value) state.favorite = false;
    toolbar.syncChips();
    if (reload) list.start();
  }

  function setView(view) {
    if (view === state.view) return;
    state.view = view;
    prefs.galleryView = view;
    toolbar.showView(view);
    root.classList.toggle('gallery--grid', view === 'grid');
    root.classList.toggle('gallery--list', view === 'list');
    if (state.loaded) list.renderItems();
    else list.showSkeleton();
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
}

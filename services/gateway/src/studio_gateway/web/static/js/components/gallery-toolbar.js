// The gallery's toolbar: search, project (all-projects gallery only), grid/list view, Upload and
// its hidden file input, then the media-type chips, Favorites and the count of what is listed.
// It shows the filters in `state` (gallery.js owns them) and reports what the person asks for:
//
//   const toolbar = galleryToolbar({ state, projects, allProjects, canUpload,
//     onType(value), onFavorite(), onProject(id), onView(view), onUpload() });
//   toolbar.el, .search, .projectSelect (or null), .uploadButton, .fileInput, .summary
//   toolbar.syncChips()       // after state.type or state.favorite changed
//   toolbar.showView(view)    // the view buttons' pressed states

import { h } from '../dom.js';
import { SEARCH_MAX } from '../limits.js';
import { icon } from '../ui/icons.js';

export const TYPES = [
  { value: '', label: 'All' },
  { value: 'image', label: 'Images', icon: 'image' },
  { value: 'video', label: 'Video', icon: 'video' },
  { value: 'audio', label: 'Audio', icon: 'audio' },
  { value: 'model3d', label: '3D', icon: 'cube' },
];

/** The project filter's options: "All projects", then each project. */
export function projectOptions(projects) {
  return [h('option', { value: '' }, 'All projects'), ...projects.map((p) => h('option', { value: p.id }, p.name))];
}

export function galleryToolbar({ state, projects, allProjects, canUpload, onType, onFavorite, onProject, onView, onUpload }) {
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
    onclick: () => onType(type.value),
  }, type.icon && icon(type.icon, { size: 'sm' }), type.label));
  const favoriteFilter = h('button', {
    type: 'button',
    class: 'gallery-chip gallery-chip--favorite',
    onclick: () => onFavorite(),
  }, icon('star', { size: 'sm' }), 'Favorites');
  const projectSelect = allProjects && projects
    ? h('select', {
      class: 'select gallery-project',
      'aria-label': 'Project',
      onchange: () => onProject(projectSelect.value),
    }, projectOptions(projects))
    : null;
  search.value = state.q;
  if (projectSelect) projectSelect.value = state.project;
  const gridButton = h('button', { type: 'button', 'aria-pressed': String(state.view === 'grid'), onclick: () => onView('grid') },
    icon('grid', { label: 'Grid view', size: 'sm' }));
  const listButton = h('button', { type: 'button', 'aria-pressed': String(state.view === 'list'), onclick: () => onView('list') },
    icon('list', { label: 'List view', size: 'sm' }));
  const fileInput = h('input', {
    type: 'file',
    multiple: true,
    hidden: true,
    accept: 'image/*,video/*,audio/*',
    'aria-label': 'Upload files',
    dataset: { testid: 'gallery-file-input' },
  });
  const uploadButton = h('button', {
    type: 'button',
    class: 'button button--primary gallery-upload',
    hidden: !canUpload(),
    onclick: () => onUpload(),
  }, icon('upload'), h('span', 'Upload'));
  const summary = h('p', { class: 'gallery__summary', 'aria-live': 'polite' });
  syncChips();

  const el = h('div', { class: 'gallery__toolbar' },
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

  // The chips read as one row, so "All" is pressed only while nothing (type or favorites)
  // narrows the list: the row always says what is listed.
  function syncChips() {
    typeButtons.forEach((button, i) => {
      const pressed = TYPES[i].value ? TYPES[i].value === state.type : !state.type && !state.favorite;
      button.setAttribute('aria-pressed', String(pressed));
    });
    favoriteFilter.setAttribute('aria-pressed', String(state.favorite));
  }

  function showView(view) {
    gridButton.setAttribute('aria-pressed', String(view === 'grid'));
    listButton.setAttribute('aria-pressed', String(view === 'list'));
  }

  return { el, search, projectSelect, uploadButton, fileInput, summary, syncChips, showView };
}

// Templates (/studio/templates): the catalog's starter templates (filterable by generation type)
// and the person's own (search, endless scrolling, rename, delete). "Use" opens the last project
// (prefs.lastProjectId, if it still exists) with ?starter=<id> or ?template=<id>; without one, a
// small dialog asks which project, or offers a new one.

import { api, errorMessage } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { SEARCH_MAX, TEMPLATE_NAME_MAX } from '../limits.js';
import { glyph } from '../components/gallery-items.js';
import { chooseProject, loadProjects, projectExists } from '../components/gallery-projects.js';
import { prefs } from '../store.js';
import { emptyState, errorState } from '../ui/empty.js';
import { atLeast, clip, count, dateTime, relativeTime } from '../ui/format.js';
import { busy } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { enumLabel, paramLabel } from '../ui/params-labels.js';
import { confirmDelete, renameDialog } from '../ui/rename.js';
import { skeletonCard, skeletonGrid } from '../ui/skeleton.js';
import { toast } from '../ui/toast.js';

const PAGE_SIZE = 24;
/** How far below the view the end of the own templates starts the next page loading. */
const NEAR_END_PX = 400;
const TYPES = {
  'text-to-image': { label: 'Text to image', icon: 'image', tone: 'image' },
  'image-to-image': { label: 'Image to image', icon: 'image', tone: 'image' },
  'text-to-video': { label: 'Text to video', icon: 'video', tone: 'video' },
  'image-to-video': { label: 'Image to video', icon: 'video', tone: 'video' },
  'video-to-video': { label: 'Video to video', icon: 'video', tone: 'video' },
  'text-to-audio': { label: 'Text to audio', icon: 'audio', tone: 'audio' },
  'image-to-3d': { label: 'Image to 3D', icon: 'cube', tone: 'model3d' },
};
const MAX_PARAMS = 3;

export async function render(main, _params, ctx) {
  const modelNames = new Map();
  const needsKey = new Set(); // ids of the hosted models this server has no key for
  let starterType = '';
  let starters = [];

  // --- starter templates -------------------------------------------------------------------
  const starterChips = h('div', { class: 'gallery__chips templates-filter', role: 'group', 'aria-label': 'Generation type' });
  const starterGrid = h('div', { class: 'template-grid', dataset: { testid: 'starter-templates' } });
  const starterBody = h('div', { class: 'templates-section__body' }, skeletonGrid(6, skeletonCard, 'template-grid'));
  const startersSection = h('section', { class: 'templates-section', 'aria-labelledby': 'starters-title' },
    h('div', { class: 'templates-section__head' },
      h('div', { class: 'templates-section__titles' },
        h('h2', { id: 'starters-title' }, 'Starter templates'),
        h('p', { class: 'templates-section__lede' }, 'Ready-made starting points for every kind of generation. Use one to open a project with its model, prompt and settings filled in.'))),
    starterChips,
    starterBody);

  // --- the person's own --------------------------------------------------------------------
  let query = '';
  let cursor = null;
  let loading = false;
  let generation = 0;
  let mine = [];
  const search = h('input', { class: 'input', type: 'search', maxlength: SEARCH_MAX, placeholder: 'Search your templates', 'aria-label': 'Search your templates', autocomplete: 'off' });
  const ownSummary = h('p', { class: 'templates-section__count', 'aria-live': 'polite' });
  const ownGrid = h('div', { class: 'template-grid', dataset: { testid: 'user-templates' } });
  const ownBody = h('div', { class: 'templates-section__body' }, skeletonGrid(3, skeletonCard, 'template-grid'));
  const more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => loadMore() }, 'Load more');
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const ownSection = h('section', { class: 'templates-section', 'aria-labelledby': 'own-title' },
    h('div', { class: 'templates-section__head' },
      h('div', { class: 'templates-section__titles' },
        h('h2', { id: 'own-title' }, 'Your templates'),
        h('p', { class: 'templates-section__lede' }, 'Settings you saved from your generations.')),
      h('div', { class: 'templates-section__tools' }, h('div', { class: 'search' }, icon('search'), search), ownSummary)),
    ownBody);

  const pageEl = h('div', { class: 'page templates-page' }, startersSection, ownSection);
  let placed = false; // people with templates of their own see them first
  main.append(pageEl);

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && cursor && !loading) loadMore();
  }, { rootMargin: `${NEAR_END_PX}px 0px` });
  // The observer speaks only when the sentinel crosses the viewport's edge. It sits mid-page
  // (above the starters), so a fast scroll jumps past it unseen, and after a page it may still
  // be in view. After each scroll and each page, a sentinel in or above the view loads more.
  const onScroll = () => loadIfPassed();
  document.addEventListener('scroll', onScroll, { passive: true, capture: true });
  const onSearch = debounce(() => {
    query = search.value.trim();
    loadOwn();
  }, 250);
  search.addEventListener('input', onSearch);

  // Model names are a nicety: the ids show if the catalog cannot be asked.
  const models = api.get('/models', { limit: 200 }, { signal: ctx.signal })
    .then((page) => {
      for (const model of page.items || []) {
        modelNames.set(model.id, model.name);
        if (model.available === false) needsKey.add(model.id);
      }
    })
    .catch(() => {});
  // Templates saved, renamed or deleted elsewhere (a project's History tab in another tab, the
  // CLI) show here as it happens; a stream that could not replay what it missed reloads them.
  const offLive = ctx.live?.on ? [
    ctx.live.on('template.*', (data, name) => {
      if (!data?.template_id) return;
      if (name === 'template.deleted') forgetOwn(data.template_id);
      else showOwn(data.template_id);
    }),
    ctx.live.on('reset', () => loadOwn()),
  ] : [];
  await Promise.all([models.then(loadStarters), models.then(loadOwn)]);

  return () => {
    for (const off of offLive) off();
    observer.disconnect();
    document.removeEventListener('scroll', onScroll, { capture: true });
    onSearch.cancel();
  };

  // --- starters ------------------------------------------------------------------------------
  async function loadStarters() {
    try {
      const page = await api.get('/starter-templates', undefined, { signal: ctx.signal });
      starters = page.items || [];
      renderStarterChips();
      renderStarters();
    } catch (error) {
      if (ctx.signal.aborted) return;
      replace(starterChips);
      replace(starterBody, errorState({ error, retry: loadStarters }));
    }
  }

  function renderStarterChips() {
    const present = Object.keys(TYPES).filter((type) => starters.some((s) => s.type === type));
    const chip = (value, label, iconName, n) => h('button', {
      type: 'button',
      class: 'gallery-chip',
      'aria-pressed': String(starterType === value),
      dataset: { type: value || 'all' },
      onclick: () => {
        starterType = value;
        for (const button of starterChips.children) button.setAttribute('aria-pressed', String(button.dataset.type === (value || 'all')));
        renderStarters();
      },
    }, iconName && icon(iconName, { size: 'sm' }), label, h('span', { class: 'gallery-chip__count' }, String(n)));
    replace(starterChips,
      chip('', 'All', null, starters.length),
      present.map((type) => chip(type, TYPES[type].label, TYPES[type].icon, starters.filter((s) => s.type === type).length)));
  }

  function renderStarters() {
    const shown = starters.filter((s) => !starterType || s.type === starterType);
    if (!shown.length) {
      replace(starterBody, emptyState({ icon: 'templates', title: 'No starter templates', body: 'This server offers none for this type.', headingLevel: 'h3' }));
      return;
    }
    replace(starterGrid, shown.map((starter) => templateCard(starter, { kind: 'starter' })));
    replace(starterBody, starterGrid);
  }

  // --- own ------------------------------------------------------------------------------------
  async function loadOwn() {
    const mineNow = ++generation;
    cursor = null;
    loading = true;
    observer.disconnect();
    try {
      const page = await api.get('/templates', { q: query || null, limit: PAGE_SIZE }, { signal: ctx.signal });
      if (mineNow !== generation) return;
      mine = page.items;
      cursor = page.next_cursor;
      renderOwn();
    } catch (error) {
      if (ctx.signal.aborted || mineNow !== generation) return;
      replace(ownBody, errorState({ error, retry: loadOwn }));
    } finally {
      if (mineNow === generation) loading = false;
    }
  }

  async function loadMore() {
    if (!cursor || loading) return;
    const mineNow = generation;
    loading = true;
    more.setAttribute('aria-busy', 'true');
    try {
      const page = await api.get('/templates', { q: query || null, limit: PAGE_SIZE, cursor }, { signal: ctx.signal });
      if (mineNow !== generation) return;
      const fresh = page.items.filter((t) => !mine.some((m) => m.id === t.id));
      mine.push(...fresh);
      cursor = page.next_cursor;
      ownGrid.append(...fresh.map((t) => templateCard(t, { kind: 'own' })));
      updateOwnSummary();
    } catch (error) {
      if (!ctx.signal.aborted) toast(errorMessage(error), { kind: 'error', signal: ctx.signal, action: { label: 'Retry', run: loadMore } });
    } finally {
      more.removeAttribute('aria-busy');
      if (mineNow === generation) {
        loading = false;
        requestAnimationFrame(loadIfPassed);
      }
    }
  }

  function loadIfPassed() {
    if (!cursor || loading || !sentinel.isConnected || ctx.signal.aborted) return;
    if (sentinel.getBoundingClientRect().top < window.innerHeight + NEAR_END_PX) loadMore();
  }

  function renderOwn() {
    updateOwnSummary();
    if (!query) placed = placed || mine.length === 0;
    if (!mine.length) {
      replace(ownBody, query ? emptyState({
        icon: 'search',
        title: 'No templates match',
        body: `None of your templates has “${query}” in its name or prompt.`,
        headingLevel: 'h3',
        action: { label: 'Clear search', icon: 'close', primary: false, run: () => { search.value = ''; onSearch(); search.focus(); } },
      }) : emptyState({
        icon: 'templates',
        title: 'No templates of your own yet',
        body: 'In a project, open the History tab and choose “Save as template” on any generation: its type, model, prompt and settings are kept here, ready to start from again.',
        headingLevel: 'h3',
        action: { label: 'Go to your projects', href: '/studio', icon: 'folder', primary: false },
      }));
      return;
    }
    if (!placed) {
      placed = true;
      pageEl.prepend(ownSection);
    }
    replace(ownGrid, mine.map((t) => templateCard(t, { kind: 'own' })));
    replace(ownBody, ownGrid, h('div', { class: 'load-more' }, more), sentinel);
    observer.observe(sentinel);
  }

  function updateOwnSummary() {
    more.hidden = !cursor;
    ownSummary.textContent = mine.length ? (cursor ? atLeast(mine.length, 'templates') : count(mine.length, 'template')) : '';
  }

  // --- a card ---------------------------------------------------------------------------------
  function templateCard(template, { kind }) {
    const type = TYPES[template.type] || { label: template.type, icon: 'sparkles', tone: 'image' };
    // An empty setting (a blank negative prompt) says nothing worth a line.
    const set = Object.entries(template.params || {}).filter(([, value]) => value !== '' && value !== null);
    const params = set.slice(0, MAX_PARAMS);
    const extra = Math.max(0, set.length - MAX_PARAMS);
    const useButton = h('button', {
      type: 'button',
      class: 'button button--primary button--sm',
      'aria-label': `Use ${template.name}`,
      onclick: () => busy(useButton, () => use(template, kind)),
    }, icon('sparkles', { size: 'sm' }), 'Use');
    const titleId = `template-${kind}-${template.id}`;
    return h('article', {
      class: ['template-card', `template-card--${type.tone}`],
      'aria-labelledby': titleId,
      dataset: { templateId: template.id, kind },
    },
    h('div', { class: 'template-card__head' },
      h('span', { class: 'template-card__type' }, h('span', { class: 'template-card__type-icon' }, icon(type.icon, { size: 'sm' })), type.label),
      // A starter says so itself; one of the person's own, saved with a hosted model, is
      // told by the catalog.
      (kind === 'starter' ? template.available === false : needsKey.has(template.model_id)) &&
        h('span', { class: 'badge badge--warning', title: 'This server has no fal.ai key for its model' }, icon('key', { size: 'sm' }), 'Needs a key'),
      kind === 'own' &&
        h('time', { class: 'template-card__time', datetime: template.updated_at, title: dateTime(template.updated_at) }, relativeTime(template.updated_at))),
    h('h3', { class: 'template-card__name', id: titleId }, template.name),
    template.description && h('p', { class: 'template-card__description' }, template.description),
    template.prompt
      ? h('p', { class: 'template-card__prompt' }, template.prompt)
      : h('p', { class: 'template-card__prompt template-card__prompt--empty' }, 'No prompt: write one when you use it.'),
    h('dl', { class: 'template-card__facts' },
      h('div', { class: 'template-card__fact' }, h('dt', 'Model'), h('dd', { title: template.model_id }, modelNames.get(template.model_id) || template.model_id)),
      params.map(([key, value]) => h('div', { class: 'template-card__fact' }, h('dt', paramLabel(key)), h('dd', { title: paramValue(key, value) }, paramValue(key, value)))),
      extra > 0 && h('div', { class: 'template-card__fact template-card__fact--more' }, h('dt', { class: 'visually-hidden' }, 'More'), h('dd', `+${extra} more`))),
    h('div', { class: 'template-card__actions' },
      useButton,
      kind === 'own' && h('span', { class: 'template-card__manage' },
        h('button', { type: 'button', class: 'button button--ghost button--icon button--sm', 'aria-label': `Rename ${template.name}`, title: 'Rename', onclick: () => rename(template) },
          glyph('pencil')),
        h('button', { type: 'button', class: 'button button--ghost button--icon button--sm template-card__delete', 'aria-label': `Delete ${template.name}`, title: 'Delete', onclick: () => remove(template) },
          icon('trash', { size: 'sm' })))));
  }

  // --- actions -------------------------------------------------------------------------------
  async function use(template, kind) {
    const param = kind === 'starter' ? 'starter' : 'template';
    try {
      let target = prefs.lastProjectId;
      if (target && !(await projectExists(target, { signal: ctx.signal }))) {
        prefs.lastProjectId = null;
        target = null;
      }
      if (!target) {
        const projects = await loadProjects({ signal: ctx.signal });
        const chosen = await chooseProject({
          projects,
          title: 'Use in which project?',
          body: `“${template.name}” opens in a project’s generation panel. Choose one, or start a new project.`,
          confirmLabel: 'Use template',
          allowNew: true,
        });
        if (!chosen) return;
        if (chosen === 'new') {
          // The new project's page opens with the template, as a chosen project's would.
          ctx.navigate(`/studio/new?${param}=${encodeURIComponent(template.id)}`);
          return;
        }
        target = chosen;
      }
      ctx.navigate(`/studio/${encodeURIComponent(target)}?${param}=${encodeURIComponent(template.id)}`);
    } catch (error) {
      if (!ctx.signal.aborted) toast(errorMessage(error), { kind: 'error' });
    }
  }

  async function rename(template) {
    const updated = await renameDialog({
      title: 'Rename template',
      current: template.name,
      hint: `Up to ${TEMPLATE_NAME_MAX} characters.`,
      maxlength: TEMPLATE_NAME_MAX,
      empty: 'Give the template a name.',
      save: async (value) => {
        const saved = await api.patch(`/templates/${encodeURIComponent(template.id)}`, { name: value }, { signal: ctx.signal });
        const index = mine.findIndex((t) => t.id === saved.id);
        if (index >= 0) mine[index] = saved;
        ownGrid.querySelector(`[data-template-id="${CSS.escape(saved.id)}"]`)?.replaceWith(templateCard(saved, { kind: 'own' }));
        return saved;
      },
    });
    if (!updated) return;
    // Renamed out of the search: it leaves the list, which shows only what the search finds.
    if (!matchesSearch(updated)) {
      dropOwn(updated.id);
      toast(`Renamed to “${updated.name}”. The search no longer matches it.`, { kind: 'success' });
      return;
    }
    ownGrid.querySelector(`[data-template-id="${CSS.escape(updated.id)}"] [aria-label^="Rename"]`)?.focus();
    toast(`Renamed to “${updated.name}”.`, { kind: 'success' });
  }

  /** Whether the search lists a template: as the API matches, its name or prompt holds the
   * search, in any case. */
  function matchesSearch(template) {
    if (!query) return true;
    const needle = query.toLowerCase();
    return [template.name, template.prompt].some((text) => text && text.toLowerCase().includes(needle));
  }

  async function remove(template) {
    const outcome = await confirmDelete({
      name: template.name,
      body: 'The template goes; generations made from it stay. This cannot be undone.',
      remove: () => api.del(`/templates/${encodeURIComponent(template.id)}`, { signal: ctx.signal }),
      signal: ctx.signal,
      retry: () => remove(template),
    });
    if (!outcome) return;
    dropOwn(template.id);
    toast(`Deleted “${template.name}”.`, { kind: 'success' });
  }

  /** Take a template off the list; focus goes to its neighbour (or the search, if none is
   * left): always after the person's own action, after a change made elsewhere only if focus
   * was on the card that goes. */
  function dropOwn(id, { moveFocus = true } = {}) {
    const index = mine.findIndex((t) => t.id === id);
    if (index >= 0) mine.splice(index, 1);
    const card = ownGrid.querySelector(`[data-template-id="${CSS.escape(id)}"]`);
    const next = card?.nextElementSibling || card?.previousElementSibling;
    const focusing = moveFocus || Boolean(card?.contains(document.activeElement));
    card?.remove();
    if (!mine.length) {
      renderOwn();
      if (focusing) search.focus();
    } else {
      updateOwnSummary();
      if (focusing) next?.querySelector('button')?.focus();
    }
  }

  /** A template deleted elsewhere (or by this page, whose own card has gone already). */
  function forgetOwn(id) {
    if (mine.some((t) => t.id === id)) dropOwn(id, { moveFocus: false });
  }

  /** A template saved or changed elsewhere: its card, as the list would show it now. Until the
   * first page is in, that page brings it. */
  async function showOwn(id) {
    if (loading && !mine.length) return;
    let template;
    try {
      template = await api.get(`/templates/${encodeURIComponent(id)}`, undefined, { signal: ctx.signal });
    } catch (error) {
      if (error?.status === 404) forgetOwn(id);
      return; // anything else: the card stays as it is until the list is loaded again
    }
    if (ctx.signal.aborted) return;
    const index = mine.findIndex((t) => t.id === template.id);
    if (!matchesSearch(template)) {
      if (index >= 0) dropOwn(template.id, { moveFocus: false });
      return;
    }
    if (index >= 0) {
      mine[index] = template;
      const card = ownGrid.querySelector(`[data-template-id="${CSS.escape(template.id)}"]`);
      const hadFocus = card?.contains(document.activeElement);
      const fresh = templateCard(template, { kind: 'own' });
      card?.replaceWith(fresh);
      if (hadFocus) fresh.querySelector('[aria-label^="Rename"]')?.focus();
      return;
    }
    mine.unshift(template); // the newest first, as the list is ordered
    if (mine.length === 1) renderOwn();
    else {
      ownGrid.prepend(templateCard(template, { kind: 'own' }));
      updateOwnSummary();
    }
  }
}

/** A setting's value in a card's few words: named as the generation panel names it. */
function paramValue(key, value) {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (value === null || value === undefined) return '—';
  const text = typeof value === 'object' ? JSON.stringify(value) : enumLabel(key, value);
  return clip(text, 40);
}

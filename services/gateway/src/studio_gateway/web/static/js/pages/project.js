// The project page (ProjectStudio): the description bar (rename, delete), the generation panel
// on the left (5/12) and History | Assets tabs on the right (7/12); stacked on phones.

import { api, errorMessage } from '../api.js';
import { debounce, h, replace, uniqueId } from '../dom.js';
import { PROJECT_DESCRIPTION_MAX, PROJECT_NAME_MAX } from '../limits.js';
import { prefs } from '../store.js';
import { createPanel } from '../components/generation-panel.js';
import { createHistory } from '../components/history.js';
import { createTabs } from '../components/tabs.js';
import { HAND_OFF_EVENTS } from '../components/handoff.js';
import { loadModels, loadTypes, typeLabel } from '../components/catalog.js';
import { confirmDialog } from '../ui/confirm.js';
import { emptyState } from '../ui/empty.js';
import { count, dateTime, relativeTime } from '../ui/format.js';
import { field, formAlert, showProblem, tooLong } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { metaParts } from '../ui/meta-parts.js';
import { skeleton, skeletonCard, skeletonGrid } from '../ui/skeleton.js';
import { toast } from '../ui/toast.js';

const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

export async function render(main, { id }, ctx) {
  let types = null;
  // Asked for at once, beside the project; the panel says so if it fails, and tells us when it
  // has the catalog (at first, or after its Try again) so the cards get model and type names.
  Promise.all([loadTypes(), loadModels()]).catch(() => {});
  let panel = null;
  // A Remix or Use as reference pressed on a card while the project itself still loads (the
  // history shows first, the panel is made once the project is in) waits for the panel.
  const early = [];
  const keepEarly = (event) => early.push(event);
  HAND_OFF_EVENTS.forEach((name) => document.addEventListener(name, keepEarly));
  const stopKeeping = () => HAND_OFF_EVENTS.forEach((name) => document.removeEventListener(name, keepEarly));
  const history = createHistory({
    projectId: id,
    live: ctx.live,
    signal: ctx.signal,
    typeLabel: (type) => typeLabel(types, type),
    empty: () => emptyState({
      icon: 'sparkles',
      title: 'No generations yet',
      body: 'Pick a type, write a prompt and press Generate. Results appear here while they render.',
      action: { label: 'Write a prompt', icon: 'wand', run: () => panel?.focusPrompt() },
    }),
  });

  // The page's shape at once, the history's own skeletons in it: a slow answer (a stalled
  // database) would otherwise leave the page empty until it comes.
  // (The shapes are hidden from screen readers; the history in it can already be used.)
  const waiting = h('div', { class: 'studio' },
    h('div', { class: 'project-bar' },
      h('div', { class: 'project-bar__text' }, skeleton('title'), skeleton('text', 'skeleton--short'))),
    h('div', { class: 'studio__grid' },
      h('aside', { class: 'studio__panel' },
        h('div', { class: 'gen-panel__form' }, skeleton('title'), skeleton('media'), skeleton('text'))),
      h('div', { class: 'studio__results' }, history.el)));
  main.append(waiting);
  let project;
  try {
    project = await api.get(`/projects/${encodeURIComponent(id)}`, undefined, { signal: ctx.signal });
  } catch (error) {
    stopKeeping();
    history.destroy();
    throw error;
  } finally {
    waiting.remove();
  }
  prefs.lastProjectId = project.id;
  setTitle(project);
  let deleting = false;

  panel = createPanel({
    projectId: project.id,
    query: ctx.query,
    signal: ctx.signal,
    onCatalog: (loaded) => {
      types = loaded;
      history.refreshAll();
    },
    // The card shows at once; the answer (a record, or a refusal) replaces or removes it.
    onSending: (body) => {
      tabs.select('history');
      return history.sending(body);
    },
    onCreated: (generation) => {
      tabs.select('history');
      history.add(generation);
      pointToCard(generation.id);
    },
  });
  stopKeeping();
  early.forEach((event) => document.dispatchEvent(new CustomEvent(event.type, { detail: event.detail })));

  const galleryPanel = h('div', { class: 'studio__gallery' });
  let gallery = null;
  const tabs = createTabs({
    label: 'Project views',
    tabs: [
      { id: 'history', label: 'History', panel: history.el },
      { id: 'assets', label: 'Assets', panel: galleryPanel },
    ],
    onSelect: (tab) => { if (tab === 'assets' && !gallery) mountAssets(); },
  });

  const bar = descriptionBar();
  main.append(h('div', { class: 'studio' },
    bar.el,
    h('div', { class: 'studio__grid' },
      h('aside', { class: 'studio__panel' }, panel.el),
      h('div', { class: 'studio__results' }, tabs.list, tabs.panels))));
  // Ready to type, with the page at its top: the project's name and description, then the type
  // and the model, come before the prompt (on a phone they fill the screen).
  panel.focusPrompt({ scroll: false });

  // The bar's counts follow what happens in the project at once, counted here from the live
  // events, and the server's figures (which count what this page could not see, and no event
  // twice) are asked for once things go quiet for 2 s, or every 10 s while they do not.
  const refreshCounts = debounce(() => { lastRefresh = Date.now(); refreshProject(); }, 2000);
  let lastRefresh = Date.now();
  const counted = (field, step) => (data) => {
    if (data?.project_id !== project.id) return;
    project = { ...project, [field]: Math.max(0, (project[field] || 0) + step) };
    bar.refresh();
    if (Date.now() - lastRefresh > 10_000) {
      lastRefresh = Date.now();
      refreshProject();
    }
    refreshCounts();
  };
  const offs = [
    ctx.live.on('generation.requested', counted('generation_count', 1)),
    ctx.live.on('generation.deleted', counted('generation_count', -1)),
    ctx.live.on('asset.created', counted('asset_count', 1)),
    ctx.live.on('asset.deleted', counted('asset_count', -1)),
    () => refreshCounts.cancel(),
    ctx.live.on('project.updated', (data) => {
      // Renamed in another tab (or by a program): the header and the bar follow.
      if (data?.project_id === project.id) refreshProject();
    }),
    // The stream was down and could not replay what it missed: name and counts asked again.
    ctx.live.on('reset', () => refreshProject()),
    ctx.live.on('project.deleted', (data) => {
      // Our own delete says so itself (its toast names the project).
      if (data?.project_id !== project.id || deleting) return;
      toast('This project was deleted.', { kind: 'info' });
      ctx.navigate('/studio', { replace: true, ask: false }); // its uploads cannot finish now
    }),
  ];

  async function refreshProject() {
    try {
      const fresh = await api.get(`/projects/${encodeURIComponent(project.id)}`, undefined, { signal: ctx.signal });
      project = { ...project, ...fresh };
      setTitle(project);
      bar.refresh();
    } catch {
      // What is shown stays until the next visit.
    }
  }

  return () => {
    offs.forEach((off) => off());
    history.destroy();
    panel.destroy();
    try {
      if (typeof gallery === 'function') gallery();
      else gallery?.destroy?.();
    } catch (error) {
      console.error('gallery cleanup failed', error);
    }
  };

  /** On a phone the history is below the panel: a new card out of sight is pointed to, so
   * Generate never seems to do nothing (the person stays at the prompt to queue more). */
  function pointToCard(generationId) {
    const card = history.el.querySelector(`[data-id="${CSS.escape(generationId)}"]`);
    if (!card) return;
    const box = card.getBoundingClientRect();
    if (box.bottom > 0 && box.top < window.innerHeight) return;
    toast('Generation started.', {
      kind: 'info',
      action: {
        label: 'Show',
        // Focus stays where it was: the card's first button may be its Cancel.
        run: () => card.scrollIntoView({ block: 'center', behavior: reducedMotion.matches ? 'auto' : 'smooth' }),
      },
    });
  }

  function setTitle(value) {
    ctx.setHeader({ title: value.name, breadcrumbs: [{ label: 'Projects', href: '/studio' }, { label: value.name }] });
  }

  async function mountAssets() {
    gallery = true;
    replace(galleryPanel, skeletonGrid(6, skeletonCard));
    let module = null;
    try {
      module = await import('../components/gallery.js');
    } catch {
      module = null;
    }
    if (ctx.signal.aborted) return;
    if (!module?.mountGallery) {
      gallery = null;
      replace(galleryPanel, emptyState({
        icon: 'assets',
        title: 'The gallery is on its way',
        body: 'This project’s files will show here. Meanwhile, completed generations open from the History tab.',
        action: { label: 'Try again', icon: 'refresh', primary: false, run: () => { gallery = null; mountAssets(); } },
        headingLevel: 'h3',
      }));
      return;
    }
    replace(galleryPanel);
    gallery = await module.mountGallery(galleryPanel, { projectId: project.id, project, signal: ctx.signal, live: ctx.live, navigate: ctx.navigate, embedded: true });
  }

  function descriptionBar() {
    const text = h('div', { class: 'project-bar__text' });
    // The description in three lines at most, with More / Less when it has more: a long one
    // pushed the panel, and Generate, below the fold. Whether it is cut depends on the width.
    const description = h('p', { id: uniqueId('project-description'), class: 'project-bar__description project-bar__description--clamped' });
    let expanded = false;
    const more = h('button', {
      type: 'button',
      class: 'project-bar__more',
      'aria-controls': description.id,
      hidden: true,
      onclick: () => { expanded = !expanded; clamp(); },
    });
    const clamp = () => {
      description.classList.toggle('project-bar__description--clamped', !expanded);
      more.setAttribute('aria-expanded', String(expanded));
      more.textContent = expanded ? 'Less' : 'More';
      more.hidden = !expanded && description.scrollHeight <= description.clientHeight + 1;
    };
    window.addEventListener('resize', clamp, { signal: ctx.signal });
    const actions = h('div', { class: 'project-bar__actions' },
      h('button', { type: 'button', class: 'button button--ghost button--sm', onclick: () => edit() }, icon('wand', { size: 'sm' }), 'Rename'),
      h('button', { type: 'button', class: 'button button--ghost button--sm', onclick: () => remove() }, icon('trash', { size: 'sm' }), 'Delete'));
    const el = h('div', { class: 'project-bar' }, text, actions);
    let editing = false;
    show();
    return { el, refresh: () => { if (!editing) show(); } };

    function show() {
      editing = false;
      const activity = project.last_activity_at || project.updated_at || project.created_at;
      description.textContent = project.description || 'No description yet.';
      description.classList.toggle('muted', !project.description);
      replace(text,
        h('div', { class: 'project-bar__about' }, description, more),
        metaParts([
          count(project.generation_count, 'generation'), count(project.asset_count, 'asset'),
          h('time', { datetime: activity, title: dateTime(activity) }, `active ${relativeTime(activity)}`),
        ], 'project-bar__stats'));
      actions.hidden = false;
      requestAnimationFrame(clamp); // measured once laid out
    }

    function edit() {
      const alert = formAlert();
      const name = field({ label: 'Name', name: 'name', input: h('input', { class: 'input', value: project.name, required: true, autocomplete: 'off' }) });
      const description = field({ label: 'Description', name: 'description', optional: true, input: h('textarea', { class: 'textarea textarea--short', rows: 2, value: project.description || '' }) });
      const save = h('button', { type: 'submit', class: 'button button--primary button--sm' }, icon('check', { size: 'sm' }), 'Save');
      const cancel = h('button', { type: 'button', class: 'button button--sm', onclick: () => close() }, 'Cancel');
      const form = h('form', { class: 'project-bar__form', novalidate: true }, alert.el, name.el, description.el, h('div', { class: 'form__actions' }, save, cancel));
      form.addEventListener('keydown', (event) => { if (event.key === 'Escape') { event.preventDefault(); close(); } });
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const value = name.input.value.trim();
        if (!value) {
          name.setError('Give the project a name.');
          name.input.focus();
          return;
        }
        if (tooLong(name, value, PROJECT_NAME_MAX)) return;
        if (tooLong(description, description.input.value.trim(), PROJECT_DESCRIPTION_MAX)) return;
        save.setAttribute('aria-busy', 'true');
        try {
          project = await api.patch(`/projects/${encodeURIComponent(project.id)}`, { name: value, description: description.input.value.trim() });
          setTitle(project);
          toast('Project updated', { kind: 'success' });
          close();
        } catch (error) {
          showProblem(form, error, alert);
        } finally {
          save.removeAttribute('aria-busy');
        }
      });
      actions.hidden = true;
      editing = true;
      replace(text, form);
      name.input.focus();
      name.input.select();

      function close() {
        show();
        actions.querySelector('button').focus();
      }
    }

    async function remove() {
      const sure = await confirmDialog({
        title: `Delete “${project.name}”?`,
        body: 'Its generations and files are deleted with it, and running generations are cancelled. This cannot be undone.',
        confirmLabel: 'Delete project',
        danger: true,
      });
      if (!sure) return;
      deleting = true;
      try {
        await api.del(`/projects/${encodeURIComponent(project.id)}`);
        if (prefs.lastProjectId === project.id) prefs.lastProjectId = null;
        toast(`“${project.name}” deleted`, { kind: 'success' });
        ctx.navigate('/studio', { ask: false }); // its uploads cannot finish now
      } catch (error) {
        deleting = false;
        toast(errorMessage(error), { kind: 'error' });
      }
    }
  }
}

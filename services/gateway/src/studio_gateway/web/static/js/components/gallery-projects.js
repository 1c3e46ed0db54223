// The person's projects, for pages that work across them (the Assets page's project filter and
// upload target, the Templates page's "Use"): load them, and ask which one in a small dialog.
//
//   const projects = await loadProjects({ signal });            // [{id, name, ...}], newest first
//   const id = await chooseProject({ projects, title, body, confirmLabel, allowNew });
//   // → a project id, 'new' (the person chose "New project"), or undefined (cancelled)

import { api } from '../api.js';
import { h, uniqueId } from '../dom.js';
import { openDialog } from '../ui/dialog.js';
import { emptyState } from '../ui/empty.js';
import { count, relativeTime } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { metaParts } from '../ui/meta-parts.js';

const PAGE = 100;
const MAX_PAGES = 5;

/** Up to 500 of the person's projects (5 pages of 100), newest first. */
export async function loadProjects({ signal } = {}) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const page = await api.get('/projects', { limit: PAGE, cursor }, { signal });
    out.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

/** Whether a project still exists (and is the caller's). */
export async function projectExists(id, { signal } = {}) {
  if (!id) return false;
  try {
    await api.get(`/projects/${encodeURIComponent(id)}`, undefined, { signal });
    return true;
  } catch (error) {
    if (error?.status === 404 || error?.status === 422) return false;
    throw error;
  }
}

/**
 * A dialog listing the projects as a radio group; resolves with the chosen id, 'new' when
 * allowNew and the person picks "New project", or undefined when cancelled.
 */
export function chooseProject({ projects, title = 'Choose a project', body, confirmLabel = 'Continue', allowNew = false }) {
  const name = uniqueId('project-choice');
  let handle;
  const options = projects.map((project, i) => {
    const id = uniqueId('project-option');
    const activity = project.last_activity_at || project.updated_at || project.created_at;
    return h('label', { class: 'project-choice', for: id },
      h('input', { type: 'radio', name, id, value: project.id, checked: i === 0, class: 'project-choice__radio' }),
      h('span', { class: 'project-choice__text' },
        h('span', { class: 'project-choice__name' }, project.name),
        metaParts([
          // As the project cards say it: "1 generation", "no assets", never "1 assets".
          count(project.generation_count ?? 0, 'generation'),
          count(project.asset_count ?? 0, 'asset'),
          activity && relativeTime(activity),
        ], 'project-choice__meta')));
  });
  const list = projects.length
    ? h('fieldset', { class: 'project-choices' },
      h('legend', { class: 'visually-hidden' }, 'Projects'), options)
    : emptyState({ icon: 'folder', title: 'No projects yet', body: 'Create a project first.', headingLevel: 'h3' });
  const confirm = h('button', {
    type: 'button',
    class: 'button button--primary',
    disabled: projects.length === 0,
    onclick: () => {
      const chosen = list.querySelector?.(`input[name="${name}"]:checked`);
      handle.close(chosen ? chosen.value : undefined);
    },
  }, confirmLabel);
  const actions = [
    allowNew && h('button', { type: 'button', class: 'button button--ghost project-choice__new', onclick: () => handle.close('new') },
      icon('plus'), 'New project'),
    h('button', { type: 'button', class: 'button', onclick: () => handle.close() }, 'Cancel'),
    confirm,
  ];
  handle = openDialog({
    title,
    description: body,
    content: h('div', { class: 'project-chooser' }, list),
    actions,
    initialFocus: (dialog) => dialog.querySelector('input[type=radio]:checked') || confirm,
  });
  // Double-click (or Enter on a radio) chooses at once.
  list.addEventListener?.('dblclick', (event) => {
    if (event.target.closest('.project-choice')) confirm.click();
  });
  list.addEventListener?.('keydown', (event) => {
    if (event.key === 'Enter' && event.target.matches('input[type=radio]')) {
      event.preventDefault();
      confirm.click();
    }
  });
  return handle.closed;
}

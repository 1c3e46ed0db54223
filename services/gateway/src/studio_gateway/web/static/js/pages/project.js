// The project page (ProjectStudio). Minimal until its own module lands.

import { api } from '../api.js';
import { h } from '../dom.js';
import { prefs } from '../store.js';

export async function render(main, { id }, ctx) {
  const project = await api.get(`/projects/${encodeURIComponent(id)}`, undefined, { signal: ctx.signal });
  prefs.lastProjectId = project.id;
  ctx.setHeader({ title: project.name, breadcrumbs: [{ label: 'Projects', href: '/studio' }, { label: project.name }] });
  main.append(h('section', { class: 'page' }, project.description && h('p', { class: 'muted' }, project.description)));
}

// The assets page. Minimal until its own module lands.

import { h } from '../dom.js';

export async function render(main) {
  main.append(h('section', { class: 'page', 'aria-label': 'Assets' }));
}

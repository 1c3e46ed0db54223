// The studio's icons, drawn for it: 24 px viewBox, 1.75 stroke, round joins, currentColor.
// Built with DOM APIs (no markup strings).
//
//   icon('plus')                      → decorative (aria-hidden)
//   icon('trash', { label: 'Delete' }) → role="img" with an accessible name
//   icon('check', { size: 'sm' })

import { s } from '../dom.js';

const c = (cx, cy, r) => ['circle', { cx, cy, r }];
const r = (x, y, width, height, rx = 2) => ['rect', { x, y, width, height, rx }];

const ICONS = {
  plus: ['M12 5v14', 'M5 12h14'],
  folder: ['M3 7.5A1.5 1.5 0 0 1 4.5 6H9l2 2h8.5A1.5 1.5 0 0 1 21 9.5v8a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z'],
  templates: [r(3, 3, 18, 18), 'M3 9h18', 'M9 9v12'],
  sparkles: [
    'M12 3c.6 3.9 2.1 5.4 6 6-3.9.6-5.4 2.1-6 6-.6-3.9-2.1-5.4-6-6 3.9-.6 5.4-2.1 6-6z',
    'M18.5 14.5c.3 1.6.9 2.2 2.5 2.5-1.6.3-2.2.9-2.5 2.5-.3-1.6-.9-2.2-2.5-2.5 1.6-.3 2.2-.9 2.5-2.5z',
  ],
  image: [r(3, 4, 18, 16), c(9, 10, 1.75), 'M21 16l-5-5-9 9'],
  video: [r(2.5, 6, 13, 12), 'M15.5 10.5l6-3.5v10l-6-3.5'],
  assets: ['M12 3l9 5-9 5-9-5z', 'M3 13l9 5 9-5', 'M3 17.5l9 5 9-5'],
  key: [c(8, 15, 4), 'M10.8 12.2L20 3', 'M16 7l3 3', 'M14 9l2 2'],
  logout: ['M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3', 'M10 16l-4-4 4-4', 'M6 12h10'],
  sun: [c(12, 12, 4), 'M12 2v2', 'M12 20v2', 'M4.9 4.9l1.4 1.4', 'M17.7 17.7l1.4 1.4', 'M2 12h2', 'M20 12h2', 'M4.9 19.1l1.4-1.4', 'M17.7 6.3l1.4-1.4'],
  moon: ['M20 14.5A8 8 0 1 1 9.5 4a6.5 6.5 0 0 0 10.5 10.5z'],
  menu: ['M4 7h16', 'M4 12h16', 'M4 17h16'],
  close: ['M6 6l12 12', 'M18 6L6 18'],
  search: [c(11, 11, 6.5), 'M20 20l-4.5-4.5'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  alert: ['M10.3 4.3L2.6 18a2 2 0 0 0 1.7 3h15.4a2 2 0 0 0 1.7-3L13.7 4.3a2 2 0 0 0-3.4 0z', 'M12 10v4', 'M12 17.5v.01'],
  info: [c(12, 12, 9), 'M12 11v5', 'M12 8v.01'],
  copy: [r(9, 9, 11, 11), 'M15 9V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v7a2 2 0 0 0 2 2h3'],
  trash: ['M4 7h16', 'M10 11v6', 'M14 11v6', 'M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12', 'M9 7V4h6v3'],
  'arrow-right': ['M5 12h14', 'M13 6l6 6-6 6'],
  'arrow-left': ['M19 12H5', 'M11 6l-6 6 6 6'],
  'chevron-right': ['M9 6l6 6-6 6'],
  'chevron-left': ['M15 6l-6 6 6 6'],
  'chevron-down': ['M6 9l6 6 6-6'],
  download: ['M12 4v11', 'M7 10l5 5 5-5', 'M5 20h14'],
  upload: ['M12 20V9', 'M7 14l5-5 5 5', 'M5 4h14'],
  refresh: ['M20 11a8 8 0 0 0-14.6-4.5L4 8', 'M4 4v4h4', 'M4 13a8 8 0 0 0 14.6 4.5L20 16', 'M20 20v-4h-4'],
  clock: [c(12, 12, 9), 'M12 7v5l3 2'],
  'x-circle': [c(12, 12, 9), 'M9 9l6 6', 'M15 9l-6 6'],
  'check-circle': [c(12, 12, 9), 'M8 12.5l3 3 5-6'],
  loader: ['M12 3a9 9 0 1 0 9 9'],
  star: ['M12 3.5l2.6 5.3 5.9.9-4.3 4.1 1 5.8L12 16.9l-5.2 2.7 1-5.8L3.5 9.7l5.9-.9z'],
  heart: ['M12 20s-7-4.4-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.6-7 10-7 10z'],
  more: ['M5 12h.01', 'M12 12h.01', 'M19 12h.01'],
  external: ['M14 4h6v6', 'M20 4l-9 9', 'M18 14v4a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h4'],
  grid: [r(4, 4, 7, 7, 1.5), r(13, 4, 7, 7, 1.5), r(4, 13, 7, 7, 1.5), r(13, 13, 7, 7, 1.5)],
  list: ['M9 6h11', 'M9 12h11', 'M9 18h11', 'M4.5 6h.01', 'M4.5 12h.01', 'M4.5 18h.01'],
  offline: ['M3 3l18 18', 'M8.5 16.5a5 5 0 0 1 7 0', 'M5 12.9a10 10 0 0 1 5.2-2.7', 'M19 12.9a10 10 0 0 0-2.4-1.7', 'M2 9a15 15 0 0 1 4.4-2.6', 'M22 9a15 15 0 0 0-9.7-3.9', 'M12 20h.01'],
  play: ['M7 4.5v15l12-7.5z'],
  user: [c(12, 8, 4), 'M4 20a8 8 0 0 1 16 0'],
  sliders: ['M4 6h9', 'M17 6h3', 'M4 12h3', 'M11 12h9', 'M4 18h11', 'M19 18h1', c(15, 6, 2), c(9, 12, 2), c(17, 18, 2)],
  wand: ['M4 20L15 9', 'M15 4v2', 'M15 12v2', 'M19 8h2', 'M9 8h2', 'M18 5l-1 1', 'M18 11l-1-1', 'M12 5l1 1'],
  eye: ['M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z', c(12, 12, 3)],
  file: ['M6 3h8l4 4v14H6z', 'M14 3v4h4'],
  audio: ['M9 18V5l11-2v13', c(6, 18, 3), c(17, 16, 3)],
  cube: ['M12 3l8 4.5v9L12 21l-8-4.5v-9z', 'M4 7.5l8 4.5 8-4.5', 'M12 12v9'],
  home: ['M4 10.5L12 4l8 6.5V20H4z', 'M10 20v-6h4v6'],
  logo: ['M12 2.5c.8 5.2 2.8 7.2 8 8-5.2.8-7.2 2.8-8 8-.8-5.2-2.8-7.2-8-8 5.2-.8 7.2-2.8 8-8z', 'M19 16.5c.3 1.6.9 2.2 2.5 2.5-1.6.3-2.2.9-2.5 2.5-.3-1.6-.9-2.2-2.5-2.5 1.6-.3 2.2-.9 2.5-2.5z'],
};

export const ICON_NAMES = Object.keys(ICONS);

export function icon(name, { label, size, class: extra } = {}) {
  const shapes = ICONS[name] || ICONS.info;
  const svg = s('svg', {
    class: ['icon', size === 'sm' && 'icon--sm', extra],
    viewBox: '0 0 24 24',
    width: size === 'sm' ? 16 : 20,
    height: size === 'sm' ? 16 : 20,
    fill: 'none',
    stroke: 'currentColor',
    'stroke-width': '1.75',
    'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
    focusable: 'false',
  });
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else {
    svg.setAttribute('aria-hidden', 'true');
  }
  for (const shape of shapes) {
    svg.append(typeof shape === 'string' ? s('path', { d: shape }) : s(shape[0], shape[1]));
  }
  return svg;
}

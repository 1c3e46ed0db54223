// The colour theme: the stored choice ('dark' | 'light') or the system's, on <html data-theme>.

import { prefs } from '../store.js';

const systemLight = window.matchMedia('(prefers-color-scheme: light)');

export function effectiveTheme() {
  return prefs.theme || (systemLight.matches ? 'light' : 'dark');
}

export function applyTheme() {
  const chosen = prefs.theme;
  if (chosen) document.documentElement.dataset.theme = chosen;
  else delete document.documentElement.dataset.theme;
}

export function toggleTheme() {
  prefs.theme = effectiveTheme() === 'dark' ? 'light' : 'dark';
  applyTheme();
  return prefs.theme;
}

export function onSystemThemeChange(fn) {
  systemLight.addEventListener('change', fn);
}

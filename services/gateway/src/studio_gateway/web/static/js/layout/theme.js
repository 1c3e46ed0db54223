// The colour theme: the stored choice ('dark' | 'light') or the system's, on <html data-theme>.

import { prefs, storageKey } from '../store.js';

const THEME_KEY = storageKey('theme');

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

/** `fn` runs when the theme to show changes by itself: the system's, or the choice made in
 * another tab of the studio (applied here first, so every open tab shows the same). */
export function onThemeChangedOutside(fn) {
  systemLight.addEventListener('change', fn);
  window.addEventListener('storage', (event) => {
    if (themeChanged(event)) fn();
  });
}

function themeChanged(event) {
  return event.key === null || event.key === THEME_KEY;
}

// A choice made in another tab shows here from the page's first moment, not only once the
// sidebar that offers it is built (after the session is known): one made meanwhile was missed.
// Registered first, so it is applied before any `onThemeChangedOutside` listener runs.
window.addEventListener('storage', (event) => {
  if (themeChanged(event)) applyTheme();
});

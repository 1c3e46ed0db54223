// Loaded as a classic, blocking script in <head> so the stored theme applies before first paint.
try {
  var theme = JSON.parse(localStorage.getItem('studio.theme') || 'null');
  if (theme === 'dark' || theme === 'light') document.documentElement.setAttribute('data-theme', theme);
} catch (e) {
  /* no storage: follow the system */
}

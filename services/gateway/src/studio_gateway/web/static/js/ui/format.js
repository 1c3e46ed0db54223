// Formatting for people: relative times, sizes, durations, counts.

const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "3 minutes ago", "yesterday", "just now". */
export function relativeTime(value, now = Date.now()) {
  if (!value) return '';
  const date = value instanceof Date ? value : new Date(value);
  const seconds = (date.getTime() - now) / 1000;
  if (Math.abs(seconds) < 45) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'minute') {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return 'just now';
}

/** "12 Mar 2025, 14:03" (for title attributes and details). */
export function dateTime(value) {
  if (!value) return '';
  return absolute.format(value instanceof Date ? value : new Date(value));
}

/** "1.4 MB" */
export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "0:42", "1:02:05" (media; a clip shorter than a second in tenths, "0.3 s", as "0:00" said it
 * was empty), or "12 s", "3 min 4 s" with { words: true } (elapsed times). */
export function duration(seconds, { words = false } = {}) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '';
  if (!words && seconds > 0 && seconds < 0.95) {
    const tenths = Math.round(seconds * 10);
    return tenths ? `0.${tenths} s` : '<0.1 s';
  }
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (words) {
    if (total < 60) return `${total} s`;
    if (h === 0) return s ? `${m} min ${s} s` : `${m} min`;
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const ss = String(s).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "1 generation", "3 generations", "no assets". */
export function count(n, singular, plural = `${singular}s`) {
  if (!n) return `no ${plural}`;
  return `${n.toLocaleString()} ${n === 1 ? singular : plural}`;
}

/** A count with more to load, so a floor: "50+ assets" (never "50 assets+"). */
export function atLeast(n, plural) {
  return `${n.toLocaleString()}+ ${plural}`;
}

/** `text` trimmed, and cut to `max` characters with an ellipsis when longer. */
export function clip(text, max) {
  const value = String(text ?? '').trim();
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** An API name as words: "num_images" → "Num images". */
export function humanize(value) {
  const text = String(value ?? '').replace(/[_-]+/g, ' ').trim();
  return text ? text[0].toUpperCase() + text.slice(1) : '';
}

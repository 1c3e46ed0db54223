// A forgiving search over models for the model dialog: every word typed must match, in any
// order, a word of the model's name, id or provider (or its description, spelled right), as a
// whole word, its start, a part of it, or with a small typo ("birefnte", "klign"); words typed
// apart that the name writes as one ("bire fnet") match it too; a word of three letters only
// when one letter of a word's start is left out ("flx"). Best matches first: a word of
// the name counts more than one of the description, a whole word more than a typo.
//
//   searchModels(models, 'dev flux') → the models that match, best first (ties keep their order)

/** Fields searched, with how much a match in each counts. */
const FIELDS = [['name', 1], ['id', 0.8], ['provider', 0.7], ['description', 0.4]];
/** A typo is allowed in words this long; two in words this long. */
const TYPO_FROM = 4;
const TWO_TYPOS_FROM = 8;

export function searchModels(models, query) {
  const tokens = words(query);
  if (!tokens.length) return [...models];
  const scored = models.map((model, index) => ({ model, index, score: score(indexOf(model), tokens) }));
  return scored.filter(({ score: s }) => s > 0)
    .sort((a, b) => (b.score - a.score) || (a.index - b.index))
    .map(({ model }) => model);
}

/** Lower case, accents and punctuation gone, letters and digits apart ("FLUX.1 [dev]" → flux 1 dev). */
export function words(text) {
  return String(text || '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/([a-z])(?=\d)/g, '$1 ').replace(/(\d)(?=[a-z])/g, '$1 ')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const cache = new WeakMap();

/** A model's searchable words per field, and each field's words written as one. */
function indexOf(model) {
  let index = cache.get(model);
  if (!index) {
    const text = { name: model.name, id: model.id, provider: model.provider?.name, description: model.description };
    index = FIELDS.map(([field, weight]) => {
      const list = words(text[field]);
      // The raw words too, before letters and digits were parted ("v2", "flux2").
      const raw = String(text[field] || '').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
      return { weight, fuzzy: field !== 'description', words: [...new Set([...list, ...raw])], joined: list.join('') };
    });
    cache.set(model, index);
  }
  return index;
}

/** The sum of each typed word's best match; 0 when one of them matches nowhere (unless the
 * words typed, written as one, match). */
function score(index, tokens) {
  let total = 0;
  for (const token of tokens) {
    const best = Math.max(...index.map((field) => field.weight * match(token, field)));
    if (best <= 0) return tokens.length > 1 ? score(index, [tokens.join('')]) * 0.9 : 0;
    total += best;
  }
  return total;
}

function match(token, field) {
  let best = 0;
  for (const word of field.words) {
    if (word === token) return 1;
    if (word.startsWith(token)) best = Math.max(best, 0.9);
    else if (token.length >= 3 && word.includes(token)) best = Math.max(best, 0.7);
  }
  if (best) return best;
  if (token.length >= 3 && field.joined.includes(token)) return 0.6;
  if (!field.fuzzy) return 0;
  if (token.length === TYPO_FROM - 1) return field.words.some((word) => oneLetterShort(token, word)) ? 0.35 : 0;
  if (token.length < TYPO_FROM) return 0;
  const allowed = token.length >= TWO_TYPOS_FROM ? 2 : 1;
  for (const word of field.words) {
    if (word.length < TYPO_FROM - 1) continue;
    // The whole word, or its start as long as the word typed ("bireft" is "birefn…" with a typo).
    const distance = Math.min(typos(token, word), typos(token, word.slice(0, token.length)));
    if (distance <= allowed) best = Math.max(best, 0.5 - 0.1 * distance);
  }
  return best;
}

/** Edits (a letter added, dropped, changed, or two swapped) from `a` to `b` (optimal string alignment). */
function typos(a, b) {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) rows[0][j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}

/** Whether `token` is the start of `word` with one letter left out ("flx" of "flux"): the only
 * typo a word of three letters is forgiven, any other would match too many models. */
function oneLetterShort(token, word) {
  const start = word.slice(0, token.length + 1);
  if (start.length <= token.length) return false;
  for (let i = 0; i < start.length; i += 1) {
    if (start.slice(0, i) + start.slice(i + 1) === token) return true;
  }
  return false;
}

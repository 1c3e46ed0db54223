// After a live stream that could not resume (a `reset`), a long list keeps what it has loaded and
// its place: only its newest pages are asked for, up to where they reach what is listed, and
// they say what is new, what changed and which listed items were deleted meanwhile. Items older
// than those pages stay as they are (their later events still update them).
//
//   const news = await newestPages((cursor) => api.get(path, { …, cursor }), listedIds);
//   news === null: too much changed (more than MAX_PAGES pages new), reload the list instead;
//   news.items: the pages' items, newest first (new ones, and fresh records of listed ones);
//   news.gone: listed ids within the pages' span that they no longer hold (deleted);
//   news.cursor: the list's next cursor if the pages reach past every listed item, else
//   undefined (the list's own cursor still holds).
//
// Ids are time-ordered (newer ids sort after older ones), as the API lists them.

const MAX_PAGES = 4;

export async function newestPages(fetchPage, listed) {
  const newest = listed.reduce((a, b) => (b > a ? b : a), '');
  const items = [];
  let cursor = null;
  for (let n = 0; n < MAX_PAGES; n += 1) {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    cursor = page.next_cursor || null;
    const last = items.at(-1)?.id;
    if (cursor && last > newest) continue; // the pages have not reached what is listed yet
    // Covered: every id from the last one on (all of them when there is no page after).
    const oldest = cursor ? last : '';
    const held = new Set(items.map((item) => item.id));
    const gone = listed.filter((id) => id >= oldest && !held.has(id));
    const past = listed.some((id) => id < oldest);
    return { items, gone, cursor: past ? undefined : cursor };
  }
  return null;
}

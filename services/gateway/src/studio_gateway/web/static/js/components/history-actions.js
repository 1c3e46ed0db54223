// What a history card's buttons do: view its results, cancel, retry, remix, save as a template,
// delete. Each asks the API and hands the answer back to the list that made the card.
//
//   const onAction = cardActions({ cards, merge, add, matches, removeCard, resultsFrom,
//     focusableNear, statusShown });
//   generationCard(generation, { onAction });   // onAction(name, generation, { button, index })

import { api, errorMessage } from '../api.js';
import { confirmDialog } from '../ui/confirm.js';
import { announce, toast } from '../ui/toast.js';
import { shortPrompt } from './generation-card.js';
import { remix } from './handoff.js';
import { saveAsTemplate } from './template-dialog.js';
import { openViewer } from './viewer.js';

/** `cards`: id → card; `merge(card, record, fromEvent, said)`, `add(record)`,
 * `matches(record)`, `removeCard(id)`: the list's own; `resultsFrom(generation, index)`: the
 * viewer's items; `focusableNear(id)`: where focus goes back; `statusShown()`: the status the
 * list is filtered to, if any. */
export function cardActions({ cards, merge, add, matches, removeCard, resultsFrom, focusableNear, statusShown }) {
  return async function onAction(name, stale, extra = {}) {
    const card = cards.get(stale.id);
    const generation = card?.generation || stale;
    const path = `/generations/${encodeURIComponent(generation.id)}`;
    const button = extra.button;
    try {
      if (name === 'view' || name === 'view-media') {
        // Its files deleted in the viewer, the card's picture (the opener) goes: focus goes back
        // to the card's first control, else to where the card was.
        openViewer({ ...resultsFrom(generation, extra.index || 0), returnFocus: () => focusableNear(generation.id) });
      } else if (name === 'cancel') {
        button?.setAttribute('aria-busy', 'true');
        // Said as it is asked, before the answer: the job's end (its event may come first) is
        // said after it, never drowned by it.
        announce('Cancelling the generation');
        const updated = await api.post(`${path}/cancel`);
        if (updated && card) merge(card, updated, false, updated.status === 'cancelled' ? `Generation cancelled: ${shortPrompt(updated.prompt)}` : '');
      } else if (name === 'retry') {
        button?.setAttribute('aria-busy', 'true');
        const created = await api.post(`${path}/retry`, {});
        button?.removeAttribute('aria-busy');
        add(created);
        // The new one waits in line: a list filtered to other statuses does not show it, so
        // the person is told it is on its way (else nothing would seem to happen).
        if (matches(created)) announce('Generation queued again');
        else toast(`Generation queued again. It is pending, and this list shows ${statusShown()} generations only.`, { kind: 'success' });
      } else if (name === 'remix') {
        remix(generation);
      } else if (name === 'template') {
        await saveAsTemplate(generation);
      } else if (name === 'delete') {
        const sure = await confirmDialog({
          title: 'Delete this generation?',
          body: 'Its record leaves the history. Files it made stay in the project’s assets.',
          confirmLabel: 'Delete',
          danger: true,
        });
        if (!sure) return;
        await api.del(path);
        removeCard(generation.id);
        toast('Generation deleted', { kind: 'success' });
      }
    } catch (error) {
      button?.removeAttribute('aria-busy');
      if (name === 'delete' && error.status === 404) {
        removeCard(generation.id);
        return;
      }
      toast(errorMessage(error), { kind: 'error' });
    }
  };
}

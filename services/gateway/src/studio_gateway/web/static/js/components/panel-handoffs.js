// What other pages hand the generation panel: the template or starter its address names
// (?template=, ?starter=; then dropped from the address, with ?type=), and a remix or a
// reference (handoff.js), heard as a document event or waiting in sessionStorage. One handed
// over before the models have loaded (the history shows its cards first on a slow network), or
// while a template is being applied, waits for them instead of being dropped or overwritten;
// the latest one wins.
//
//   const handOffs = panelHandOffs({ projectId, query, signal, alert, model: () => model, fill(source, { remix }) {}, useReference(asset) {} });
//   await handOffs.take();   // once the models are in
//   handOffs.destroy();

import { api, errorMessage } from '../api.js';
import { toast } from '../ui/toast.js';
import { PENDING_REFERENCE, PENDING_REMIX, takePending } from './handoff.js';
import { modelSaid } from './panel-files.js';

const TEMPLATE_GONE = 'This template does not exist: it may have been deleted, or the link is mistyped. The panel keeps its own settings.';

export function panelHandOffs({ projectId, query, signal, alert, model, fill, useReference }) {
  let taking = false;
  let waiting = null;
  const handOver = (run) => {
    if (taking) run();
    else waiting = run;
  };
  const onReference = (event) => handOver(() => useReference(event.detail?.asset));
  const onRemix = (event) => handOver(() => fill(event.detail?.generation, { remix: true }));
  document.addEventListener('studio:use-reference', onReference);
  document.addEventListener('studio:remix', onRemix);

  return {
    /** The address's, then the stored, then the one that waited; those that come later are taken at once. */
    async take() {
      await applyQuery();
      const remixed = takePending(PENDING_REMIX, projectId);
      if (remixed?.generation) await fill(remixed.generation, { remix: true });
      const referenced = takePending(PENDING_REFERENCE, projectId);
      if (referenced?.asset) useReference(referenced.asset);
      const handedOver = waiting;
      waiting = null;
      taking = true;
      await handedOver?.();
    },
    destroy() {
      document.removeEventListener('studio:use-reference', onReference);
      document.removeEventListener('studio:remix', onRemix);
    },
  };

  async function applyQuery() {
    const templateId = query.get('template');
    const starterId = query.get('starter');
    if (templateId || starterId) {
      try {
        let template = null;
        if (templateId) template = await api.get(`/templates/${encodeURIComponent(templateId)}`, undefined, { signal });
        else template = (await api.get('/starter-templates', undefined, { signal })).items.find((t) => t.id === starterId);
        if (!template) throw new Error(`There is no starter template “${starterId}”.`);
        const before = model();
        await fill(template, { remix: false });
        // A template's model (a paid hosted one, say) is named when it replaces the person's.
        const now = model();
        const changed = now && now.id !== before?.id;
        toast(`Settings from “${template.name}”${changed ? `: the model is now ${modelSaid(now)}.` : ''}`, { kind: 'info', signal });
      } catch (error) {
        // A template deleted since the link was made, or someone else's (answered alike): said
        // for people, not as the API's "No template '…'" with the id.
        const said = error.status === 404 ? TEMPLATE_GONE : error.problem ? errorMessage(error) : error.message;
        if (!signal?.aborted) alert.show(said);
      }
    }
    if (signal?.aborted) return; // another page's address by now
    // What to open with (a quick action's type, a template), not where the page is: a reload or
    // a step Back must not apply it again over what the person has chosen since.
    const url = new URL(location.href);
    for (const key of ['type', 'template', 'starter']) url.searchParams.delete(key);
    const address = url.pathname + url.search;
    if (address !== location.pathname + location.search) history.replaceState(history.state, '', address);
  }
}

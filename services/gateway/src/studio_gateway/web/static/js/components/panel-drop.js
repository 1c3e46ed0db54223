// Files and gallery assets dropped on the generation panel: on the references slot (its own
// handler runs first and marks the event handled), or anywhere else on the panel (the slot is
// hidden for a type that takes no file): the panel then picks a type that takes them.
//
//   const stop = acceptDrops(panel.el, { onFiles(files) {}, onAsset(asset) {} });
//   acceptDrops(slot, { onFiles, onAsset, onUnreadable() {}, over: (on) => zone.classList.toggle('refs__zone--over', on) });

/** What a gallery card's drag carries: the asset, as JSON. */
export const ASSET_MIME = 'application/x-studio-asset';

const MEDIA = new Set(['image', 'video', 'audio']);

/** 'image', 'video' or 'audio' from a file's type; null for anything else. */
export function mediaOf(file) {
  const kind = String(file?.type || '').split('/')[0];
  return MEDIA.has(kind) ? kind : null;
}

export function acceptDrops(el, { onFiles, onAsset, onUnreadable = () => {}, over = (on) => el.classList.toggle('gen-panel--drop', on) }) {
  let depth = 0;
  const carries = (event) => {
    const types = [...(event.dataTransfer?.types || [])];
    return types.includes('Files') || types.includes(ASSET_MIME);
  };
  const listeners = {
    dragenter(event) {
      if (!carries(event)) return;
      depth += 1;
      over(true);
    },
    dragleave() {
      depth = Math.max(0, depth - 1);
      if (!depth) over(false);
    },
    dragover(event) {
      if (!carries(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    },
    drop(event) {
      depth = 0;
      over(false);
      if (event.defaultPrevented || !carries(event)) return;
      event.preventDefault();
      const raw = event.dataTransfer.getData(ASSET_MIME);
      if (raw) {
        try {
          onAsset(JSON.parse(raw));
        } catch {
          // Not one of ours after all: nothing to take.
          onUnreadable();
        }
        return;
      }
      const files = [...event.dataTransfer.files];
      if (files.length) onFiles(files);
    },
  };
  for (const [name, listener] of Object.entries(listeners)) el.addEventListener(name, listener);
  return () => {
    for (const [name, listener] of Object.entries(listeners)) el.removeEventListener(name, listener);
  };
}

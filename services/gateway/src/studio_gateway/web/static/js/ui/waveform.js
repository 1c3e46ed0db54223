// A sound's waveform, drawn from the peaks the assets service keeps (`asset.waveform`: 64
// values, 0–100) as bars mirrored round the middle line, in the element's own colour
// (currentColor), so it follows the theme. Decorative: the card around it names the sound.

import { s } from '../dom.js';

const BAR = 3; // of every 4 units: a bar and a gap
const MIN_HEIGHT = 2; // silence still shows as a line

/** An SVG of the peaks, or null when there are none. */
export function waveform(peaks, { className } = {}) {
  if (!Array.isArray(peaks) || peaks.length === 0) return null;
  const svg = s('svg', {
    class: ['waveform', className],
    viewBox: `0 0 ${peaks.length * 4} 100`,
    preserveAspectRatio: 'none',
    focusable: 'false',
    'aria-hidden': 'true',
    dataset: { bars: String(peaks.length) },
  });
  peaks.forEach((peak, index) => {
    const height = Math.max(MIN_HEIGHT, Math.min(100, Number(peak) || 0));
    svg.append(s('rect', { x: index * 4, y: (100 - height) / 2, width: BAR, height, rx: 1 }));
  });
  return svg;
}

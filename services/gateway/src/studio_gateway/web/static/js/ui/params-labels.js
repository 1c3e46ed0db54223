// What people read for a model parameter and its values, wherever settings are shown (the
// generation panel's controls, template cards), so one setting has one name in the studio.
//
//   paramLabel('num_inference_steps') → 'Inference steps'
//   enumLabel('image_size', 'portrait_16_9') → 'Portrait 16:9'

import { humanize } from './format.js';

// The API's names where sentence-casing alone reads badly or hides the unit.
const LABELS = {
  negative_prompt: 'Negative prompt',
  image_size: 'Image size',
  num_inference_steps: 'Inference steps',
  guidance_scale: 'Guidance scale',
  num_images: 'Number of images',
  seconds_total: 'Length (seconds)',
  duration: 'Duration (seconds)',
  output_format: 'Output format',
  aspect_ratio: 'Aspect ratio',
};

export function paramLabel(name) {
  return LABELS[name] || humanize(name);
}

// File formats as people write them.
const FORMATS = { png: 'PNG', jpeg: 'JPEG', jpg: 'JPEG', webp: 'WebP', gif: 'GIF', mp4: 'MP4', webm: 'WebM', wav: 'WAV', mp3: 'MP3' };

/** One of a parameter's allowed values; image sizes are ids ("landscape_16_9", "square_hd"). */
export function enumLabel(name, value) {
  if (name === 'image_size' && typeof value === 'string') {
    return value.split('_').map((part) => (part === 'hd' ? 'HD' : part)).join(' ')
      .replace(/(\d+) (\d+)/, '$1:$2').replace(/^\w/, (c) => c.toUpperCase());
  }
  if (name.endsWith('_format') && typeof value === 'string') return FORMATS[value.toLowerCase()] || value.toUpperCase();
  return String(value);
}

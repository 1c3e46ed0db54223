// What people read for a model parameter and its values, wherever settings are shown (the
// generation panel's controls, template cards), so one setting has one name in the studio.
//
//   paramLabel('num_inference_steps') → 'Inference steps'
//   enumLabel('image_size', 'portrait_16_9') → 'Portrait 16:9'
//   enumLabel('acceleration', 'regular') → 'Regular'
//   enumLabel('output_format', 'mp3_22050_32') → 'MP3, 22.05 kHz, 32 kbps'

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
  duration_seconds: 'Duration (seconds)',
  output_format: 'Output format',
  aspect_ratio: 'Aspect ratio',
  guidance_scale_2: 'Guidance scale (second stage)',
  raw: 'Raw mode',
  remesh_project: 'Remesh projection',
};

// Abbreviations people know in capitals (as fal's playground writes them): "cfg_scale" →
// "CFG scale", "fps" → "FPS", "ic_lora" → "IC LoRA".
const ABBREVIATIONS = {
  cfg: 'CFG', fps: 'FPS', lora: 'LoRA', ic: 'IC', i2v: 'I2V', tts: 'TTS', hd: 'HD', url: 'URL', urls: 'URLs', id: 'ID',
  // TRELLIS's stages, in words: "ss_guidance_strength" → "Structure guidance strength",
  // "tex_slat_rescale_t" → "Texture latent rescale T" (its rescale's T).
  ss: 'structure', slat: 'latent', tex: 'texture', t: 'T',
};

export function paramLabel(name) {
  if (LABELS[name]) return LABELS[name];
  // "num_frames" → "Number of frames".
  const words = String(name).replace(/^num_/, 'number_of_').split(/[_-]+/).filter(Boolean)
    .map((word) => ABBREVIATIONS[word.toLowerCase()] || word);
  return humanize(words.join(' '));
}

// File formats as people write them.
const FORMATS = { png: 'PNG', jpeg: 'JPEG', jpg: 'JPEG', webp: 'WebP', gif: 'GIF', mp4: 'MP4', webm: 'WebM', wav: 'WAV', mp3: 'MP3' };

// Sound encodings named codec_samplerate[_bitrate] ("mp3_44100_128", "pcm_16000").
const CODECS = { mp3: 'MP3', pcm: 'PCM', opus: 'Opus', ulaw: 'μ-law', alaw: 'A-law', aac: 'AAC', flac: 'FLAC', wav: 'WAV' };
const AUDIO_ENCODING = /^([a-z][a-z0-9]*)_(\d{4,6})(?:_(\d{1,4}))?$/i;
// Kokoro's voices: a language-and-sex prefix, then the voice's name ("af_heart").
const VOICE_PREFIX = /^([abejfhipz])([fm])_([a-z]+)$/;
const ACCENTS = { a: 'American', b: 'British', e: 'Spanish', f: 'French', h: 'Hindi', i: 'Italian', j: 'Japanese', p: 'Brazilian', z: 'Mandarin' };
const WORDS = /^[a-z]+(?:_[a-z]+)*$/; // "none", "match_preprocessor"
const SHOUTED = /^[A-Z0-9]+(?:_[A-Z0-9]+)*$/; // "TURBO", "80S_ILLUSTRATION", "GRAFFITI_II"
const ROMAN = /^[IVX]+$/;

/** One of a parameter's allowed values, as people read it; ids that already read well
 * ("16:9", "720p", "RealESRGAN_x4plus", "General Use (Light)") are shown as they are. */
export function enumLabel(name, value) {
  if (typeof value !== 'string') return String(value);
  if (name === 'image_size' && /^[a-z_0-9]+$/.test(value)) {
    return value.split('_').map((part) => (part === 'hd' ? 'HD' : part)).join(' ')
      .replace(/(\d+) (\d+)/, '$1:$2').replace(/^\w/, (c) => c.toUpperCase());
  }
  const encoding = AUDIO_ENCODING.exec(value);
  if (encoding && CODECS[encoding[1].toLowerCase()]) {
    const [, codec, rate, bitrate] = encoding;
    const parts = [CODECS[codec.toLowerCase()], `${kiloHertz(Number(rate))} kHz`];
    if (bitrate) parts.push(`${bitrate} kbps`);
    return parts.join(', ');
  }
  if (name.endsWith('_format') && FORMATS[value.toLowerCase()]) return FORMATS[value.toLowerCase()];
  const voice = name === 'voice' ? VOICE_PREFIX.exec(value) : null;
  if (voice) return `${capital(voice[3])} (${ACCENTS[voice[1]]}, ${voice[2] === 'f' ? 'female' : 'male'})`;
  if (WORDS.test(value)) return capital(value.replaceAll('_', ' '));
  if (SHOUTED.test(value) && /[A-Z]{2}/.test(value)) {
    return capital(value.split('_').map(shoutedWord).join(' '));
  }
  return value;
}

// One word of a SHOUTED id in sentence case: "ILLUSTRATION" → "illustration", "80S" → "80s";
// a numeral ("GRAFFITI_II") and a name with digits in it ("C4D") stay as they are.
function shoutedWord(word, index) {
  if (/^\d+S$/.test(word)) return word.toLowerCase();
  if ((index > 0 && ROMAN.test(word)) || (/\d/.test(word) && /[A-Z]/.test(word))) return word;
  return word.toLowerCase();
}

function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** 22050 → "22.05", 44100 → "44.1", 48000 → "48". */
function kiloHertz(hertz) {
  return String(Number((hertz / 1000).toFixed(2)));
}

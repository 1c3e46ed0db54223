// The server's upload limit, checked before a file is sent: a file over it fails at once with
// the limit named, not after minutes of uploading (the server refuses it either way).

import { session } from './session.js';
import { bytes } from './ui/format.js';

/** A sentence when `file` is larger than the server takes, else null. */
export function oversizeMessage(file) {
  const max = session.uploadMaxBytes;
  if (!max || file.size <= max) return null;
  return `“${file.name}” is ${bytes(file.size)}; files up to ${bytes(max)} can be uploaded.`;
}

// Random identifiers for requests (an Idempotency-Key, an X-Request-ID).
//
//   randomHex(16) → '9f3c…' (32 hex digits)
//
// Not crypto.randomUUID(): it exists only in secure contexts, and a studio opened at a LAN
// address over plain HTTP is not one; crypto.getRandomValues() exists everywhere.

export function randomHex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

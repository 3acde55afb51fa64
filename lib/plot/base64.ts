/**
 * Base64 encoding of bytes (for data URIs and Jupyter image MIME types).
 *
 * @module
 */

/** Standard base64 (RFC 4648, with padding) of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    out += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(out);
}

/** Bytes of a standard base64 string. */
export function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

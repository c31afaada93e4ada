/**
 * The model and the settings in the URL's hash, so that a link opens the same playground:
 * `#s=` and the state as JSON, deflated (CompressionStream) and base64url-encoded.
 */
export interface Shared {
  readonly model: string;
  readonly example?: string;
  readonly data: string;
  readonly optimizer: string;
  readonly schedule: string;
  readonly batch: string;
  readonly steps: string;
  readonly seed: string;
  readonly validation: string;
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const s = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export async function encodeShared(state: Shared): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return `s=${toBase64Url(await pipe(json, new CompressionStream('deflate-raw')))}`;
}

/** The state in a hash (`#s=…`), or undefined when there is none or it cannot be read. */
export async function decodeShared(hash: string): Promise<Partial<Shared> | undefined> {
  const m = /^#?s=([A-Za-z0-9_-]+)$/.exec(hash);
  if (!m) return undefined;
  try {
    const bytes = await pipe(fromBase64Url(m[1]), new DecompressionStream('deflate-raw'));
    const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
    return out as Partial<Shared>;
  } catch {
    return undefined;
  }
}

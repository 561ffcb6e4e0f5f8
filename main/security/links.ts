/** Hosts whose links from model output may open in the user's browser. */
export const LINK_ALLOWLIST = new Set([
  'docs.python.org',
  'developer.mozilla.org',
  'github.com',
  'pypi.org',
  'www.npmjs.com',
  'nodejs.org',
  'stackoverflow.com',
  'en.wikipedia.org',
  'huggingface.co',
  'onnxruntime.ai',
  'www.typescriptlang.org',
  'docs.rs',
]);

/** https only, allowlisted host, no credentials in the URL. */
export function isAllowedLink(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && !url.username && !url.password && LINK_ALLOWLIST.has(url.hostname);
}

/**
 * Returns the URL with any user info and secret-looking query parameters removed, so it can be
 * logged or put in an error. Never throws: an unparsable input is reduced to `<invalid url>`.
 */
const secretParams = /^(token|access_token|password|secret|sig|signature|api[-_]?key|key)$/i;

export function sanitizeUrl(input: string | URL): string {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    return '<invalid url>';
  }
  url.username = '';
  url.password = '';
  for (const name of [...url.searchParams.keys()]) {
    if (secretParams.test(name)) url.searchParams.set(name, 'redacted');
  }
  return url.toString();
}

/**
 * A minimal browser for login tests over real HTTP: keeps cookies per origin, follows redirects
 * one by one (so tests can look at each hop), submits forms.
 */
export type Hop = { url: string; status: number; location: string | null };

export class Browser {
  readonly cookies = new Map<string, Map<string, string>>();
  readonly hops: Hop[] = [];

  /** `headers` go with every request (a browser's Accept-Language, say). */
  constructor(private readonly headers: Record<string, string> = {}) {}

  private jar(url: URL): Map<string, string> {
    let jar = this.cookies.get(url.host);
    if (!jar) {
      jar = new Map();
      this.cookies.set(url.host, jar);
    }
    return jar;
  }

  cookie(url: string, name: string): string | undefined {
    return this.jar(new URL(url)).get(name);
  }

  private store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.jar(url).delete(name);
      else this.jar(url).set(name, value);
    }
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const cookie = [...this.jar(target)].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.headers)) if (!headers.has(name)) headers.set(name, value);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.store(target, res);
    this.hops.push({ url, status: res.status, location: res.headers.get('location') });
    return res;
  }

  /** Follows redirects from `url` until a page that is not a redirect; returns it with its URL. */
  async go(url: string, init: RequestInit = {}, maxHops = 10): Promise<{ res: Response; url: string }> {
    let current = url;
    let res = await this.request(current, init);
    for (let i = 0; i < maxHops && res.status >= 300 && res.status < 400; i++) {
      const location = res.headers.get('location');
      if (!location) break;
      current = new URL(location, current).href;
      res = await this.request(current);
    }
    return { res, url: current };
  }

  /** Submits the first form on an HTML page with the given fields. */
  async submit(pageUrl: string, html: string, fields: Record<string, string>) {
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    if (!action) throw new Error('no form on the page');
    return this.go(new URL(action, pageUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

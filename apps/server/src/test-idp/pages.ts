/** The embedded test provider's pages: plain, accessible HTML like ID-porten's test login. */
import { escapeHtml } from '@postkasse/core';

const style = `
  body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f3f5f8;color:#1b1b1b}
  main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
  h1{font-size:1.5rem;margin-top:0}
  label,legend{display:block;font-weight:600;margin:1rem 0 .25rem}
  input[type=text]{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.6rem;border:2px solid #555;border-radius:4px}
  fieldset{border:0;padding:0;margin:1rem 0}
  .choice{display:flex;gap:.5rem;align-items:center;margin:.4rem 0;font-weight:400}
  button{margin-top:1.5rem;font-size:1.1rem;padding:.7rem 1.4rem;background:#1f4e79;color:#fff;border:0;border-radius:4px;cursor:pointer}
  button:focus,input:focus{outline:3px solid #f5a623;outline-offset:2px}
  .error{color:#a4000f;font-weight:600}
  .note{color:#444;font-size:.9rem}`;

export function page(title: string, body: string, language = 'en'): string {
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${style}</style></head><body><main>${body}</main></body></html>`;
}

export function loginPage(options: {
  action: string;
  pid?: string;
  level: 'idporten-loa-substantial' | 'idporten-loa-high';
  error?: string;
  client: string;
}): string {
  const checked = (v: string) => (options.level === v ? ' checked' : '');
  const error = options.error ? `<p class="error" id="pid-error" role="alert">${escapeHtml(options.error)}</p>` : '';
  return page(
    'Test login',
    `<h1>Test login</h1>
<p class="note">Test identity provider for ${escapeHtml(options.client)}. Synthetic identities only.</p>
<form method="post" action="${escapeHtml(options.action)}">
  <label for="pid">Personal identification number</label>
  <input type="text" id="pid" name="pid" inputmode="numeric" autocomplete="off" required pattern="[0-9]{10,11}"
    value="${escapeHtml(options.pid ?? '')}"${options.error ? ' aria-invalid="true" aria-describedby="pid-error"' : ''}>
  ${error}
  <fieldset>
    <legend>Security level</legend>
    <label class="choice"><input type="radio" name="acr" value="idporten-loa-substantial"${checked('idporten-loa-substantial')}> Substantial (level 3)</label>
    <label class="choice"><input type="radio" name="acr" value="idporten-loa-high"${checked('idporten-loa-high')}> High (level 4)</label>
  </fieldset>
  <button type="submit">Log in</button>
</form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to Postkasse</a></p>`,
  );
}

"""The operator's demo page: create a Credential Offer for a registered person or business.

The page holds no secret: the operator types the ``operator`` client secret, the browser obtains an
access token (client credentials, scope ``issuer:offer``) and calls ``POST /v1/offers``, then shows
the QR code (by reference), the same-device link and the PIN (``tx_code``) to hand over separately.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from issuer.service import IssuerService
from lintas.server import csp_with_inline

__all__ = ["operator_page", "operator_page_csp"]

_STYLE = """body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
label{display:block;margin:.8rem 0 .3rem}select,input,button{font-size:1rem;padding:.5rem;width:100%}
button{margin-top:1rem;background:#12355b;color:#fff;border:0;border-radius:.4rem}"""

_SCRIPT = """
const form = document.getElementById('offer-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const out = document.getElementById('result');
  out.textContent = 'Creating offer…';
  const data = new FormData(form);
  // credentials: 'omit' keeps the browser from answering the 401 Basic challenge with its own login box.
  const credentials = new URLSearchParams({grant_type: 'client_credentials', scope: 'issuer:offer',
    client_id: 'operator', client_secret: data.get('secret')});
  const token = await fetch('TOKEN_URL', {method: 'POST', body: credentials, credentials: 'omit'});
  if (!token.ok) { out.textContent = 'Operator login failed (' + token.status + ').'; return; }
  const [subject, configuration] = data.get('subject').split('|');
  const grants = [data.get('grant')];
  const answer = await fetch('OFFERS_URL', {method: 'POST', credentials: 'omit', headers: {'Authorization': 'Bearer ' +
    (await token.json()).access_token, 'Content-Type': 'application/json'},
    body: JSON.stringify({subject_id: subject, credential_configuration_id: configuration, grants})});
  const offer = await answer.json();
  if (!answer.ok) { out.textContent = offer.detail || 'Offer refused.'; return; }
  out.innerHTML = '';
  const img = document.createElement('img');
  img.src = offer.qr_svg; img.alt = 'QR code of the credential offer'; img.width = 260;
  const link = document.createElement('a');
  link.href = offer.offer_link_by_reference; link.textContent = 'Open in wallet (same device)';
  link.id = 'offer-link';
  const pin = document.createElement('p');
  pin.id = 'tx-code';
  pin.textContent = offer.tx_code ? 'PIN for the holder: ' + offer.tx_code : 'No PIN (authorization code flow).';
  out.append(img, document.createElement('br'), link, pin);
});
"""


def _script(service: IssuerService) -> str:
    base = service.settings.public_url
    return _SCRIPT.replace("TOKEN_URL", f"{base}/oauth/token").replace("OFFERS_URL", f"{base}/v1/offers")


def operator_page_csp(service: IssuerService) -> str:
    """The page's Content-Security-Policy: its one inline style and script, by hash; nothing else inline."""
    return csp_with_inline(styles=[_STYLE], scripts=[_script(service)])


def _options(service: IssuerService) -> list[str]:
    """One option per subject and credential: the SD-JWT VC, and each mdoc the register can issue."""
    today = datetime.fromtimestamp(service.clock.now(), UTC).date()
    options = []
    for tenant in service.tenants:
        for subject in service.subjects.of_kind(tenant.spec.kind):
            value = escape(f"{subject.id}|{tenant.configuration_id}")
            label = escape(f"{subject.display_name} — {tenant.ctype.names['en']}")
            options.append(f'<option value="{value}">{label}</option>')
            for mdoc in tenant.mdoc.values():
                if mdoc.elements(subject, today) is not None:
                    value = escape(f"{subject.id}|{mdoc.configuration_id}")
                    label = escape(f"{subject.display_name} — {mdoc.mtype.names['en']} (ISO mdoc)")
                    options.append(f'<option value="{value}">{label}</option>')
    return options


def operator_page(service: IssuerService) -> str:
    """The page for this country's issuers: subject and credential pickers plus the result area."""
    options = _options(service)
    country = service.tenants[0].country if service.tenants else None
    title = escape(f"Issuer operator — {country.names.get('en', country.code)}" if country else "Issuer operator")
    script = _script(service)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_STYLE}</style></head>
<body><main><h1>{title}</h1>
<form id="offer-form">
<label for="subject">Registered person or business</label>
<select id="subject" name="subject" required>{"".join(options)}</select>
<label for="grant">Grant</label>
<select id="grant" name="grant"><option value="pre-authorized_code">Pre-authorized code with PIN</option>
<option value="authorization_code">Authorization code (national login)</option></select>
<label for="secret">Operator client secret</label>
<input id="secret" name="secret" type="password" autocomplete="off" required>
<button type="submit">Create credential offer</button>
</form>
<section id="result" aria-live="polite"></section>
</main><script>{script}</script></body></html>"""

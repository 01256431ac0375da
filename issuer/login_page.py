"""The demo "national ID login" page, standing in for Singpass, MyDigital ID, ThaID, VNeID and the like.

It lists the country's seeded persons or businesses; choosing one is the demo's authentication.
Plain HTML with labels, a fieldset and large touch targets; no script. Every value is escaped.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from issuer.subjects import Subject
from issuer.tenant import Tenant
from lintas.server import csp_with_inline

__all__ = ["error_page", "login_page", "login_page_csp"]

#: The national digital identity each demo login stands in for (no connection to the real services).
NATIONAL_LOGINS = {
    "SG": "Singpass",
    "MY": "MyDigital ID",
    "TH": "ThaID",
    "VN": "VNeID",
    "ID": "Identitas Kependudukan Digital",
    "PH": "PhilSys / eGovPH",
}

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#102a43}
fieldset{border:1px solid #9fb3c8;border-radius:.5rem;padding:1rem}
label{display:block;padding:.6rem;margin:.3rem 0;border-radius:.4rem;background:#f0f4f8;cursor:pointer}
button{font-size:1rem;padding:.7rem 1.2rem;margin:.8rem .5rem 0 0;border-radius:.4rem;border:0}
.approve{background:#12355b;color:#fff}.deny{background:#d9e2ec}
"""


def login_page_csp(redirect_uri: str | None) -> str:
    """The login page's CSP: its inline style by hash; the form may post here and be redirected to the client."""
    targets = []
    if redirect_uri:
        parts = urlsplit(redirect_uri)
        if parts.scheme in ("http", "https") and parts.netloc:
            targets.append(f"{parts.scheme}://{parts.netloc}")
        elif parts.scheme.isascii() and parts.scheme.replace("+", "").replace(".", "").replace("-", "").isalnum():
            targets.append(f"{parts.scheme}:")  # an app's private-use scheme (RFC 8252 Section 7.1)
    return csp_with_inline(styles=[_STYLE], form_action=targets)


def login_page(tenant: Tenant, subjects: list[Subject], txn: str, action: str, preselect: str | None) -> str:
    """The login form posting ``txn`` and the chosen subject to ``action``."""
    country = tenant.country
    local = country.names.get(country.local_locale, "")
    issuer_local = tenant.spec.names.get(country.local_locale, "")
    options = "\n".join(
        f'<label><input type="radio" name="subject_id" value="{escape(s.id)}" required'
        f"{' checked' if s.id == preselect else ''}> {escape(s.display_name)} "
        f"<small>({escape(s.login)})</small></label>"
        for s in subjects
    )
    lang = escape(country.local_locale)
    kind = "business" if tenant.spec.kind == "business" else "citizen"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>National digital ID login — {escape(country.names.get("en", country.code))}</title>
<style>{_STYLE}</style></head>
<body><main>
<h1>National digital ID login (demo)</h1>
<p><strong>Demo stand-in for {escape(NATIONAL_LOGINS.get(country.code, "the national digital ID"))}</strong>:
choosing a registered person or business is the whole authentication.</p>
<p>{escape(tenant.spec.names.get("en", ""))} <span lang="{lang}">{escape(issuer_local)}</span><br>
{escape(country.names.get("en", ""))} <span lang="{lang}">{escape(local)}</span></p>
<form method="post" action="{escape(action)}">
<input type="hidden" name="txn" value="{escape(txn)}">
<fieldset><legend>Log in as a registered {kind}</legend>
{options}
</fieldset>
<button class="approve" type="submit" name="decision" value="approve">Log in and share my data</button>
<button class="deny" type="submit" name="decision" value="deny">Cancel</button>
</form></main></body></html>"""


def error_page(title: str, detail: str) -> str:
    """A plain error page for authorization requests that cannot be redirected back."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title></head>'
        f"<body><main><h1>{escape(title)}</h1><p>{escape(detail)}</p></main></body></html>"
    )

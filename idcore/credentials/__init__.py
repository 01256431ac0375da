"""Format-neutral credential verification (OpenID4VP 1.0 Section 8.6, Appendix B).

* :mod:`idcore.credentials.model` — :class:`CredentialVerifier`, :class:`VerificationContext`,
  :class:`VerifiedCredential`, :class:`CredentialError` and its :class:`Stage`;
* :mod:`idcore.credentials.sd_jwt_vc` — :class:`SdJwtVcVerifier` (``dc+sd-jwt``);
* :mod:`idcore.credentials.mdoc` — :class:`MdocVerifier` (``mso_mdoc``).

Trust in the issuer is asked of a :class:`idcore.trust.TrustFramework` carried by the context.
"""

from idcore.credentials.mdoc import MdocVerifier
from idcore.credentials.model import (
    CredentialError,
    CredentialVerifier,
    Stage,
    VerificationContext,
    VerifiedCredential,
)
from idcore.credentials.sd_jwt_vc import SdJwtVcVerifier

__all__ = [
    "CredentialError",
    "CredentialVerifier",
    "MdocVerifier",
    "SdJwtVcVerifier",
    "Stage",
    "VerificationContext",
    "VerifiedCredential",
]

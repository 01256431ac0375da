"""HTTP routes of the issuer, one module per resource; each builds its router from the service."""

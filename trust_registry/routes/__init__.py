"""HTTP routes of the trust registry: one module per resource, thin over the service."""

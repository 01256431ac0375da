"""Prometheus metrics of one verifier app, on its own :class:`CollectorRegistry`.

Requests by route and status, verifications by outcome, failing check and reason code, and
latency histograms for HTTP requests and for the validation pipeline. Label values are bounded
(route templates, the fixed check and reason enumerations), never user input.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["VerifierMetrics"]


class VerifierMetrics:
    """The collectors, plus an HTTP middleware that feeds them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lintas_verifier_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "lintas_verifier_http_request_seconds", "HTTP request latency", ["route"], registry=self.registry
        )
        self.verifications = Counter(
            "lintas_verifier_verifications",
            "Presentation verifications",
            ["outcome", "check", "reason"],
            registry=self.registry,
        )
        self.pipeline = Histogram(
            "lintas_verifier_pipeline_seconds",
            "Validation pipeline latency",
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )

    def outcome(self, outcome: str, check: str = "", reason: str = "") -> None:
        """Count one verification result."""
        self.verifications.labels(outcome, check, reason).inc()

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)

    async def middleware(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Count and time every request under its route template (bounded label values)."""
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        self.requests.labels(request.method, path, str(response.status_code)).inc()
        self.latency.labels(path).observe(time.perf_counter() - start)
        return response

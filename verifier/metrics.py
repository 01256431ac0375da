"""Prometheus metrics of one verifier app, on its own :class:`CollectorRegistry`.

Requests by route and status, verifications by outcome, failing check and reason code, and
latency histograms for HTTP requests and for the validation pipeline. Label values are bounded
(route templates, the fixed check and reason enumerations), never user input.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["VerifierMetrics"]


class VerifierMetrics:
    """The collectors, plus a pure-ASGI HTTP middleware that feeds them (:meth:`middleware`)."""

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

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Pure-ASGI middleware counting and timing every request under its route template.

        ``app.add_middleware(metrics.middleware)``. Label values stay bounded: the route template
        (read from the scope once the router matched it), never the path a client sent.
        """
        return _HttpMetrics(app, self)


class _HttpMetrics:
    """Wraps ``send`` to learn the status; no task, no stream per request (unlike ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp, metrics: VerifierMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering (an outer layer answers)

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope.get("method", ""), path, str(status)).inc()
            self.metrics.latency.labels(path).observe(time.perf_counter() - start)

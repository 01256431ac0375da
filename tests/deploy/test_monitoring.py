"""The Grafana dashboard and the Prometheus alerts name only metrics and labels the verifier exposes.

The verifier runs for real (uvicorn on loopback, tests/deploy/conftest.py) and is scraped after
some traffic; every PromQL expression in deploy/monitoring/ is checked against that scrape.
The twins prove the check can fail: a misspelled metric, a wrong label and a histogram queried
under a name it does not have.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.promql import exposition, problems, usage

MONITORING = Path(__file__).parents[2] / "deploy" / "monitoring"


def dashboard_exprs() -> list[str]:
    """Every target expression of every panel (rows included)."""
    dashboard = json.loads((MONITORING / "grafana-verifier.json").read_text())
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels += [panel, *panel.get("panels", [])]
    return [t["expr"] for p in panels for t in p.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:
    """Every rule of every group."""
    return [r for g in yaml.safe_load((MONITORING / "alerts.yaml").read_text())["groups"] for r in g["rules"]]


def test_dashboard_is_well_formed() -> None:
    dashboard = json.loads((MONITORING / "grafana-verifier.json").read_text())
    assert dashboard["uid"] == "lintas-verifier"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert len(dashboard_exprs()) >= 8
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_alerts_are_well_formed() -> None:
    rules = alert_rules()
    assert len(rules) >= 5
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert rule["annotations"]["summary"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
    assert len({r["alert"] for r in rules}) == len(rules)


@pytest.mark.parametrize("expr", [*dashboard_exprs(), *(r["expr"] for r in alert_rules())])
def test_every_metric_and_label_exists(expr: str, metrics_text: str) -> None:
    assert usage(expr).metrics, "an expression that names no metric checks nothing"
    assert problems(expr, exposition(metrics_text)) == []


V = "lintas_verifier_"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (f'sum(rate({V}http_request_total{{job="x"}}[5m]))', f"unknown metric {V}http_request_total"),
        (f'sum(rate({V}http_requests_total{{code="500"}}[5m]))', f"{V}http_requests_total has no label code"),
        (
            f"histogram_quantile(0.9, sum by (le) (rate({V}pipeline_seconds[5m])))",
            f"unknown metric {V}pipeline_seconds",
        ),
        (f"sum by (relying_party) (rate({V}verifications_total[5m]))", "grouping by unknown label relying_party"),
        (f"sum(rate({V}verifications_total[5m])) > bogus_threshold", "unknown metric bogus_threshold"),
        (f"quantile_of(0.9, {V}pipeline_seconds_count)", "unknown function quantile_of()"),
    ],
)
def test_unknown_names_fail_the_check(expr: str, expected: str, metrics_text: str) -> None:
    assert expected in problems(expr, exposition(metrics_text))


def test_extraction() -> None:
    used = usage(
        'sum by (le, route) (rate(a_bucket{route!~"/x\\\\{y\\\\}", status=~"5.."}[$__rate_interval]))'
        ' / ignoring (route) group_left sum(b_total offset 5m) > 0.5 and on(instance) up{job="$job"}'
    )
    assert used.metrics == {"a_bucket", "b_total", "up"}
    assert used.selector_labels == {"a_bucket": {"route", "status"}, "up": {"job"}}
    assert used.grouping_labels == {"le", "route", "instance"}


def test_scrape_has_the_verifier_families(metrics_text: str) -> None:
    offered = exposition(metrics_text)
    families = {"http_requests_total", "http_request_seconds_bucket", "verifications_total", "pipeline_seconds_count"}
    assert {V + f for f in families} <= offered.samples
    assert {"method", "route", "status"} <= offered.labels["lintas_verifier_http_requests_total"]

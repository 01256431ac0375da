"""Metric and label names a PromQL expression uses, and the names a /metrics scrape offers.

No PromQL parser installs from the registries here, so this is a small tokenizer for the subset
our dashboard and alerts use (selectors, range vectors, functions, aggregations with by/without,
vector matching with on/ignoring/group_left/group_right, arithmetic and comparison). It errs on
the side of failing: an identifier it does not know as a function or keyword is a metric name,
and a metric name the scrape does not offer fails the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

FUNCTIONS = {
    "abs",
    "absent",
    "absent_over_time",
    "avg",
    "avg_over_time",
    "bottomk",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "count",
    "count_over_time",
    "count_values",
    "delta",
    "deriv",
    "exp",
    "floor",
    "group",
    "histogram_quantile",
    "holt_winters",
    "idelta",
    "increase",
    "irate",
    "label_join",
    "label_replace",
    "last_over_time",
    "ln",
    "log2",
    "log10",
    "max",
    "max_over_time",
    "min",
    "min_over_time",
    "predict_linear",
    "quantile",
    "quantile_over_time",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sort",
    "sort_desc",
    "sqrt",
    "stddev",
    "stddev_over_time",
    "stdvar",
    "sum",
    "sum_over_time",
    "time",
    "timestamp",
    "topk",
    "vector",
}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right"}
#: Series Prometheus makes itself, not the verifier.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)")


@dataclass
class Usage:
    """What one expression names: metric names, labels per metric selector, grouping labels."""

    metrics: set[str] = field(default_factory=set)
    selector_labels: dict[str, set[str]] = field(default_factory=dict)
    grouping_labels: set[str] = field(default_factory=set)
    unknown_functions: set[str] = field(default_factory=set)


def usage(expr: str) -> Usage:
    """Parse the names out of ``expr`` (strings, durations and Grafana ``$variables`` ignored)."""
    found = Usage()
    text = _STRING.sub('""', expr)
    for match in _SELECTOR.finditer(text):
        labels = {m.group(1) for m in _MATCHER.finditer(match.group(2))}
        if match.group(1):
            found.selector_labels.setdefault(match.group(1), set()).update(labels)
    text = _SELECTOR.sub(lambda m: m.group(1) or "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)  # range vectors and subqueries: [5m], [$__rate_interval]
    for match in _GROUPING.finditer(text):
        found.grouping_labels.update(n.strip() for n in match.group(2).split(",") if n.strip())
    text = _GROUPING.sub(" ", text)
    text = re.sub(r"\boffset\s+-?\w+", " ", text)  # offset 5m
    text = re.sub(r"\$\w+", " ", text)  # Grafana variables outside selectors
    text = re.sub(r"(?<![A-Za-z_:])\d+(\.\d+)?([eE][+-]?\d+)?", " ", text)  # numbers
    for match in _IDENT.finditer(text):
        name = match.group(0)
        if name in KEYWORDS:
            continue
        if text[match.end() :].lstrip().startswith("("):
            if name not in FUNCTIONS:
                found.unknown_functions.add(name)
            continue
        found.metrics.add(name)
    return found


@dataclass
class Exposition:
    """The sample names a scrape offers and the label names seen on each."""

    samples: set[str]
    labels: dict[str, set[str]]


def exposition(text: str) -> Exposition:
    """Sample names implied by each family's type (also for labelled families without samples yet)."""
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("", "_sum", "_count", "_created"),
        "gauge": ("",),
        "untyped": ("",),
    }
    samples: set[str] = set()
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        samples.update(family.name + s for s in suffixes.get(family.type, ("",)))
        for sample in family.samples:
            samples.add(sample.name)
            labels.setdefault(sample.name, set()).update(sample.labels)
    return Exposition(samples, labels)


def problems(
    expr: str, offered: Exposition, extra_labels: frozenset[str] = frozenset({"job", "instance"})
) -> list[str]:
    """Why ``expr`` does not fit the scrape: unknown metrics, functions or labels."""
    used = usage(expr)
    out = [f"unknown function {f}()" for f in sorted(used.unknown_functions)]
    out += [f"unknown metric {m}" for m in sorted(used.metrics - offered.samples - SYNTHETIC)]
    seen: set[str] = set(extra_labels) | {"le"}
    for metric in used.metrics & offered.samples:
        seen |= offered.labels.get(metric, set())
    for metric, labels in used.selector_labels.items():
        if metric in SYNTHETIC or metric not in offered.samples:
            continue
        if metric not in offered.labels:
            out.append(f"{metric} has no samples to check labels {sorted(labels)} against")
            continue
        out += [f"{metric} has no label {lb}" for lb in sorted(labels - offered.labels[metric] - extra_labels)]
    out += [f"grouping by unknown label {lb}" for lb in sorted(used.grouping_labels - seen)]
    return out

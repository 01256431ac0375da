"""The container image installs exactly the hash-checked lock and runs as a non-root user.

No Docker engine here, so the Dockerfile is read, not built: every ``pip install`` must be the
locked, hash-checked install or the offline install of Lintas itself; the final user is a
numeric non-root uid matching the Kubernetes manifests; /data and /tmp are volumes (the root
filesystem can be read-only); a HEALTHCHECK probes /healthz. Twins: Dockerfiles that fetch an
unlocked package, drop --require-hashes or run as root are caught.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.deploy.k8s import K8S, pod_specs, render

ROOT = Path(__file__).parents[2]
LOCKED = ["--require-hashes", "--no-deps", "-r", "requirements/runtime.txt"]
LOCAL = ["--no-deps", "--no-build-isolation", "--no-index", "."]


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#")))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def pip_installs(text: str) -> list[list[str]]:
    """The arguments of every ``pip install`` in RUN instructions."""
    found = []
    for word, rest in instructions(text):
        if word != "RUN":
            continue
        for command in re.split(r"&&|;|\|\|", rest):
            argv = shlex.split(command)
            if "pip" in {Path(a).name for a in argv[:3]} or argv[:3] == ["python", "-m", "pip"]:
                if "install" in argv:
                    found.append(argv[argv.index("install") + 1 :])
    return found


def image_problems(text: str) -> list[str]:
    """What keeps a Dockerfile from installing only the lock and running as non-root."""
    problems = []
    installs = pip_installs(text)
    if installs != [LOCKED, LOCAL]:
        problems.append(f"pip installs must be exactly the lock then Lintas offline, found {installs}")
    steps = instructions(text)
    users = [rest for word, rest in steps if word == "USER"]
    if not users or not re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", users[-1]):
        problems.append("the final USER must be a numeric non-root uid[:gid]")
    last_user = max((i for i, (w, _) in enumerate(steps) if w == "USER"), default=len(steps))
    if any(w == "RUN" for w, _ in steps[last_user + 1 :]):
        problems.append("nothing may RUN after the switch to the non-root user")
    volumes = " ".join(rest for word, rest in steps if word == "VOLUME")
    if '"/data"' not in volumes or '"/tmp"' not in volumes:
        problems.append("/data and /tmp must be volumes (read-only root filesystem)")
    if not any(w == "HEALTHCHECK" and "/healthz" in rest for w, rest in steps):
        problems.append("no HEALTHCHECK on /healthz")
    return problems


def test_dockerfile_installs_only_the_lock_as_non_root() -> None:
    assert image_problems((ROOT / "Dockerfile").read_text()) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("--require-hashes --no-deps -r", "--no-deps -r"),
        ("--no-deps --no-build-isolation --no-index .", "--no-deps --no-build-isolation ."),
        ("&& pip check", "&& pip install requests && pip check"),
        ("USER 10001:10001", "USER root"),
        ("USER 10001:10001", "USER 0"),
        ('VOLUME ["/data", "/tmp"]', 'VOLUME ["/data"]'),
        ("ENTRYPOINT", "RUN chmod -R 777 /app\nENTRYPOINT"),
    ],
)
def test_a_weakened_dockerfile_is_caught(old: str, new: str) -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert old in text
    assert image_problems(text.replace(old, new, 1)) != []


def test_every_locked_requirement_is_pinned_with_hashes() -> None:
    entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / "runtime.txt").read_text())
    requirements = [e for e in entries if re.match(r"[A-Za-z0-9]", e)]
    assert len(requirements) > 10
    for entry in requirements:
        assert re.match(r"[A-Za-z0-9._-]+==\S+ \\", entry), entry.splitlines()[0]
        assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_image_user_matches_the_kubernetes_pods() -> None:
    user = next(rest for word, rest in reversed(instructions((ROOT / "Dockerfile").read_text())) if word == "USER")
    uid, gid = (int(x) for x in user.split(":"))
    specs = dict(pod_specs(render(K8S / "base")))
    context = specs["lintas-verifier"]["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"]) == (uid, gid)

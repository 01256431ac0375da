"""The bundled Redis as the demo overlay runs it: the manifest's own arguments and the ACL template.

A real ``redis-server`` starts with the StatefulSet's arguments (only the port, bind address and
paths changed for loopback) and the ACL file rendered from ``users.acl.in`` the way
docs/deploy-verifier.md renders it. A real verifier then works through it: relying party token,
presentation request, status, readiness. Twins: the default user, a wrong password, a key
outside the verifier's namespace and FLUSHALL are all refused.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from lintas.testing import UvicornServer, free_port
from tests.deploy.k8s import K8S, render
from verifier.app import create_app
from verifier.settings import VerifierSettings


def connect(port: int, **credentials: str) -> redis.Redis:
    """A client that fails at once (no retries with back-off on refused authentication)."""
    return redis.Redis(port=port, retry=Retry(NoBackoff(), 0), **credentials)


TEMPLATE = K8S / "components" / "bundled-redis" / "users.acl.in"


def redis_args(tmp: Path, port: int) -> list[str]:
    """The StatefulSet's redis-server command, moved to loopback and a temp directory."""
    statefulset = next(o for o in render(K8S / "overlays" / "demo") if o["kind"] == "StatefulSet")
    args = list(statefulset["spec"]["template"]["spec"]["containers"][0]["args"])
    replace = {"--dir": str(tmp), "--aclfile": str(tmp / "users.acl"), "--port": str(port), "--bind": "127.0.0.1"}
    for flag, value in replace.items():
        args[args.index(flag) + 1] = value
    return args


@pytest.fixture(scope="module")
def acl_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, Path]]:
    """``(port, password, dir)`` of a redis-server running the manifest's arguments and ACL."""
    tmp = tmp_path_factory.mktemp("redis")
    password = secrets.token_urlsafe(32)
    digest = hashlib.sha256(password.encode()).hexdigest()
    (tmp / "users.acl").write_text(TEMPLATE.read_text().replace("@PASSWORD_SHA256@", digest))
    port = free_port()
    with (tmp / "redis.log").open("wb") as log:
        proc = subprocess.Popen(redis_args(tmp, port), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp / "redis.log").read_text()
                assert time.monotonic() < deadline, "redis-server did not listen in time"
                time.sleep(0.05)
        yield port, password, tmp
    finally:
        proc.terminate()
        proc.wait(10)


def test_verifier_works_through_the_acl(acl_redis: tuple[int, str, Path], tmp_path: Path) -> None:
    port, password, redis_dir = acl_redis
    url = f"redis://lintas-verifier:{password}@127.0.0.1:{port}/0"
    http_port = free_port()
    settings = VerifierSettings(
        public_url=f"http://localhost:{http_port}", data_dir=tmp_path, development=True, redis_url=url
    )
    app = create_app(settings)
    client_secret = json.loads((tmp_path / "rp-clients.json").read_text())["my-bank"]
    with UvicornServer(app, port=http_port), httpx.Client(timeout=10) as http:
        base = settings.base_url
        assert http.get(f"{base}/readyz").json()["checks"]["store"] == "ok"
        token = http.post(
            f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=("my-bank", client_secret)
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        created = http.post(f"{base}/v1/presentations", json={"policy": "pid-onboarding"}, headers=auth)
        assert created.status_code == 201, created.text
        tid = created.json()["transaction_id"]
        status = http.get(f"{base}/v1/presentations/{tid}", headers=auth)
        assert status.status_code == 200, status.text
    inside = connect(port, username="lintas-verifier", password=password)
    assert any(  # its keys are in its namespace
        k.startswith(b"verifier:") for k in inside.scan_iter(match="verifier:*")
    )
    inside.close()
    assert any((redis_dir / "appendonlydir").iterdir()), "append-only file is on"


def test_the_acl_refuses_everything_else(acl_redis: tuple[int, str, Path]) -> None:
    port, password, _ = acl_redis
    with pytest.raises(redis.AuthenticationError):
        connect(port).ping()  # the default user is off
    with pytest.raises(redis.AuthenticationError):
        connect(port, username="lintas-verifier", password=password + "x").ping()
    client = connect(port, username="lintas-verifier", password=password)
    assert client.ping()
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.set("issuer:secret", "x")  # another service's namespace
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.flushall()
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.config_get("*")
    client.close()

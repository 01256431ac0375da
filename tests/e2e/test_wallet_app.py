"""The wallet demo's own HTTP surface (no browser): pages, config, bad input, the ``lintas wallet`` command."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lintas.testing import UvicornServer, free_port
from tests.e2e.stack import Stack
from wallet_demo.app import WALLET_ROUTES, create_app
from wallet_demo.cli import stack_urls
from wallet_demo.settings import WalletSettings
from wallet_demo.vendor import CLASSIC_SCRIPTS, PACKAGES, missing_packages


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A wallet demo without any service behind it, on a loopback port."""
    app = create_app(WalletSettings(data_dir=tmp_path_factory.mktemp("lonely-wallet"), development=True))
    with UvicornServer(app) as server, httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http


@pytest.mark.parametrize("route", [*WALLET_ROUTES, "/credential/abc", "/rp", "/rp/my-bank"])
def test_pages_are_served_with_a_strict_csp(client: httpx.Client, route: str) -> None:
    answer = client.get(route)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_csp_allows_exactly_the_import_map_inline(client: httpx.Client) -> None:
    page = client.get("/")
    found = re.search(r'<script type="importmap">(.*?)</script>', page.text, re.DOTALL)
    assert found is not None
    digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
    csp = page.headers["content-security-policy"]
    assert f"script-src 'self' 'sha256-{digest}';" in csp
    assert "unsafe" not in csp


def test_import_map_targets_are_served_as_javascript(client: httpx.Client) -> None:
    imports = json.loads(re.findall(r'<script type="importmap">(.*?)</script>', client.get("/").text, re.DOTALL)[0])
    targets = [url + "sha2.js" if url.endswith("/") else url for url in imports["imports"].values()]
    assert len(targets) == len(PACKAGES) - len(CLASSIC_SCRIPTS)
    # The QR decoder is a classic script scan.js adds only when the browser has no BarcodeDetector.
    for url in [*targets, "/vendor/jsqr/jsQR.js"]:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/pkijs/index.d.ts",  # exists, but only .js files are served
        "/vendor/jose/../../package.json",
        "/vendor/jose/%2e%2e/%2e%2e/package.json",
        "/vendor/jose/..%2f..%2fpackage.json",
        "/vendor/@noble/hashes/package.json",
        "/vendor/left-pad/index.js",  # not an allowed package
        "/vendor/.lintas-installed",
        "/vendor/jose/no-such-module.js",
        "/vendor/jose",
    ],
)
def test_vendor_serves_nothing_else(client: httpx.Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_missing_npm_packages_are_named(tmp_path: Path) -> None:
    assert missing_packages(tmp_path) == list(PACKAGES)
    assert missing_packages() == []


def test_unknown_pages_are_404_problems(client: httpx.Client) -> None:
    for route in ("/rp/no-such-bank", "/nothing"):
        answer = client.get(route)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"


def test_config_has_no_secrets_and_no_anchor_without_a_verifier(client: httpx.Client) -> None:
    config = client.get("/config.json").json()
    assert config["rp_anchors"] == []  # nothing pinned, so every signed request is refused
    assert {p["id"] for p in config["personas"]} >= {"sg-tan-wei-ling", "th-somchai-jaidee", "vn-song-hong-trading"}
    assert "secret" not in json.dumps(config).lower()


def test_config_lists_the_verifier_ca_from_the_registry(stack: Stack) -> None:
    config = httpx.get(f"{stack.wallet}/config.json", timeout=10).json()
    pem = (stack.data / "verifier" / "rp-ca.pem").read_text()
    [listed] = config["rp_anchors"]  # the registry's list, as lintas demo registered the verifier's CA
    assert listed["certificate"] in pem.replace("\n", "")
    assert listed["countries"] == ["MY", "SG", "TH"]  # the countries of the demo relying parties
    secrets = json.loads((stack.data / "verifier" / "rp-clients.json").read_text()).values()
    assert all(secret not in json.dumps(config) for secret in secrets)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[]", 400),
        (b'{"persona_id": ""}', 400),
        (b'{"persona_id": "sg-tan-wei-ling", "grant": "implicit"}', 400),
        (b'{"persona_id": "nobody"}', 404),
        (b'{"persona_id": "sg-tan-wei-ling"}', 502),  # no SG issuer configured: a clear gateway error
    ],
)
def test_demo_offer_bad_input_is_a_problem(client: httpx.Client, body: bytes, status: int) -> None:
    answer = client.post("/api/demo/offers", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"


def test_demo_offer_for_a_running_issuer(stack: Stack) -> None:
    answer = httpx.post(f"{stack.wallet}/api/demo/offers", json={"persona_id": "vn-nguyen-van-an"}, timeout=10)
    assert answer.status_code == 201
    assert answer.json()["offer_link"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert answer.json()["tx_code"].isdigit()


def test_relying_party_api_errors(client: httpx.Client, stack: Stack) -> None:
    assert client.post("/rp/api/my-bank/transactions").status_code == 404  # no verifier configured
    assert httpx.post(f"{stack.wallet}/rp/api/nope/transactions", timeout=10).status_code == 404
    answer = httpx.get(f"{stack.wallet}/rp/api/my-bank/transactions/unknown-id", timeout=10)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_relying_party_transaction_round_trip(stack: Stack) -> None:
    with httpx.Client(base_url=stack.wallet, timeout=10) as browser:  # keeps the transaction's cookie
        created = browser.post("/rp/api/age-check/transactions").json()
        assert created["request_link"].startswith("openid4vp://?client_id=x509_hash")
        view = browser.get(f"/rp/api/age-check/transactions/{created['transaction_id']}").json()
    assert view["status"] == "pending"
    # The twin: the transaction id alone (another browser) reads nothing.
    stranger = httpx.get(f"{stack.wallet}/rp/api/age-check/transactions/{created['transaction_id']}", timeout=10)
    assert stranger.status_code == 404


def test_stack_json_is_read(tmp_path: Path) -> None:
    (tmp_path / "stack.json").write_text(
        json.dumps(
            {
                "services": [
                    {"name": "registry", "base_url": "http://127.0.0.1:1"},
                    {"name": "verifier", "base_url": "http://localhost:2"},
                    {"name": "issuer-sg", "base_url": "http://127.0.0.1:3"},
                    {"name": "issuer-vn", "base_url": "http://127.0.0.1:4"},
                ]
            }
        )
    )
    assert stack_urls(tmp_path) == {
        "registry_url": "http://127.0.0.1:1",
        "verifier_url": "http://localhost:2",
        "issuers": {"SG": "http://127.0.0.1:3", "VN": "http://127.0.0.1:4"},
    }
    (tmp_path / "stack.json").write_text("{not json")
    assert stack_urls(tmp_path) == {}


def test_lintas_wallet_command(tmp_path: Path) -> None:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "lintas_cli.main",
        "wallet",
        "--port",
        str(port),
        "--data",
        str(tmp_path),
        "--issuer",
        "SG=http://127.0.0.1:9",
    ]
    env = {**os.environ, "LINTAS_MODE": "development"}  # plain-http loopback URLs are development's (lintas.devmode)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/config.json", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "lintas wallet did not start"
                time.sleep(0.1)
        assert answer.json()["issuers"] == {"SG": "http://127.0.0.1:9"}
    finally:
        proc.terminate()
        proc.wait(10)


def test_lintas_wallet_bad_usage(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "lintas_cli.main", "wallet", "--data", str(tmp_path), "--issuer", "Singapore"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert "CC=URL" in done.stdout

"""docs/deploy-verifier.md, played: its ``sh`` blocks run in order on an empty directory.

``sh registry`` blocks are what the national registry operator runs: they run too, against a real
registry the test starts on loopback (``REGISTRY_URL`` pointed at it for those blocks only, the
operators' secrets in the files the guide names). ``sh cluster`` blocks need a cluster; of
those, every ``kubectl ... --dry-run=client -o yaml |
kubectl apply -f -`` runs without its ``kubectl apply`` half (kubectl needs no cluster for
that) and its output is kept. Then the results are checked: the overlay the guide makes renders
and validates, the keys Secret carries exactly the files the pods' init container installs, the
access certificate the "ministry CA" issued passes the wallet's chain rule, and a verifier
started on the guide's data directory uses that certificate and key. The twin: a guide with a
mistyped command fails.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.ports import FixedClock
from idcore.x509 import certificate_from_pem, certificate_to_pem, create_root_ca, san_dns_names, validate_chain
from lintas.kv import open_store
from lintas.testing import UvicornServer, free_port
from tests.deploy.k8s import ROOT, validate
from tests.registry.helpers import Registry, make_settings, start_registry

GUIDE = ROOT / "docs" / "deploy-verifier.md"
_BLOCK = re.compile(r"^```(sh(?: cluster| registry)?)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_DRY_RUN = " --dry-run=client -o yaml | kubectl apply -f -"


def script(markdown: str) -> str:
    """One bash script: the ``sh`` blocks verbatim, the dry-run halves of the ``sh cluster`` blocks."""
    lines = ["set -euo pipefail"]
    dry_runs = 0
    for kind, body in _BLOCK.findall(markdown):
        if kind == "sh":
            lines.append(body)
            continue
        if kind == "sh registry":  # the operator's commands, against the registry the test runs
            lines.append(f'(REGISTRY_URL="$GUIDE_REGISTRY_URL"\n{body})')
            continue
        for command in body.replace("\\\n", " ").splitlines():
            if command.endswith(_DRY_RUN):
                dry_runs += 1
                lines.append(f"{command[: -len(_DRY_RUN)]} --dry-run=client -o yaml > dry-run-{dry_runs}.yaml")
    return "\n".join(lines) + "\n"


def _platform_files(workdir: Path) -> None:
    """Stand-ins for the public host's TLS key pair and Redis's CA, made now (never committed)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = create_root_ca(
        key,
        common_name="verifier.example.gov",
        country="MY",
        organization="stand-in",
        not_before=now,
        not_after=now + timedelta(days=1),
    )
    pem = certificate_to_pem(cert)
    (workdir / "tls.crt").write_bytes(pem)
    (workdir / "redis-ca.pem").write_bytes(pem)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (workdir / "tls.key").write_bytes(key_pem)


def play(markdown: str, workdir: Path, registry: Registry | None = None) -> subprocess.CompletedProcess[str]:
    """Run the guide in ``workdir`` (a copy of deploy/ and verifier/demo_config.json) with the venv's tools."""
    shutil.copytree(ROOT / "deploy", workdir / "deploy")
    (workdir / "verifier").mkdir()
    shutil.copy(ROOT / "verifier" / "demo_config.json", workdir / "verifier" / "demo_config.json")
    _platform_files(workdir)
    (workdir / "redis-password").write_text("stand-in-password")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINTAS_", "KUBECONFIG"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    env["KUBECONFIG"] = str(workdir / "no-cluster")  # nothing may reach a real cluster
    if registry is not None:
        env["GUIDE_REGISTRY_URL"] = str(registry.server.base_url)
        for operator in ("operator-my", "operator-th"):
            (workdir / f"{operator}.secret").write_text(registry.secret(operator))
    return subprocess.run(
        ["bash", "-c", script(markdown)], cwd=workdir, env=env, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.fixture(scope="module")
def guide_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A real trust registry on loopback: the national operators' side of step 5b."""
    data = tmp_path_factory.mktemp("guide-registry")
    store = open_store(None, data, "registry")
    # Ten minutes ahead: the guide makes its CA (notBefore = the moment it runs) after this starts.
    registry = start_registry(make_settings(data), store, FixedClock(int(time.time()) + 600))
    try:
        yield registry
    finally:
        registry.http.close()
        registry.server.stop()
        store.close()


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory, guide_registry: Registry) -> Path:
    """The working directory after the guide ran successfully."""
    workdir = tmp_path_factory.mktemp("guide")
    run = play(GUIDE.read_text(), workdir, guide_registry)
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    return workdir


def test_the_registry_lists_the_ministry_ca_for_both_countries(played: Path, guide_registry: Registry) -> None:
    """Step 5b: the operators' commands listed the guide's CA for MY and TH in the signed list; the
    twin: a country whose operator did not (SG) lists nothing."""
    ca = certificate_from_pem((played / "ministry-ca.pem").read_bytes())
    der = base64.b64encode(ca.public_bytes(serialization.Encoding.DER)).decode("ascii")
    listed = guide_registry.trust_list()
    for code in ("MY", "TH"):
        country = listed.country(code)
        assert country is not None
        assert [(c.certificate, c.status.value) for c in country.relying_party_cas] == [(der, "granted")]
    sg = listed.country("SG")
    assert sg is not None
    assert sg.relying_party_cas == ()
    answer = json.loads((played / "rp-ca-listed-my.json").read_text())
    assert answer  # the CLI printed the registry's answer


def test_the_member_state_registers_the_verifier_in_the_federation(played: Path, guide_registry: Registry) -> None:
    """Step 5c: the MY operator registered the verifier's federation key, as the verifier printed it
    (twin: no other state did); the overlay names the MY intermediate and the trust mark endpoint;
    and the verifier, started as the pods start it, serves a configuration signed with that key."""
    from idcore.jose import parse_compact, verify_parsed
    from idcore.jwk import public_key_from_jwk
    from idcore.trust.recognition import verify_recognition_list
    from verifier.app import create_app
    from verifier.settings import VerifierSettings

    printed = json.loads((played / "federation-key.json").read_text())
    listed = verify_recognition_list(guide_registry.http.get("/v1/recognitions").content, guide_registry.pin)
    assert [(v.entity_id, v.country, [dict(k) for k in v.keys]) for v in listed.verifier_entities] == [
        ("https://verifier.example.gov", "MY", printed["keys"])
    ]
    objects = _documents(played / "verifier.yaml")
    env = next(o for o in objects if o["kind"] == "ConfigMap" and "LINTAS_VERIFIER_PUBLIC_URL" in o.get("data", {}))
    registry = "https://registry.lintas.example"
    assert env["data"]["LINTAS_VERIFIER_FEDERATION_AUTHORITY_HINTS"] == f"{registry}/federation/MY"
    assert env["data"]["LINTAS_VERIFIER_FEDERATION_TRUST_MARK_ENDPOINT"] == f"{registry}/federation/trust-mark"
    settings = VerifierSettings(
        public_url="https://verifier.example.gov",
        data_dir=played / "verifier-data",
        config_file=played / "verifier-config.json",
        federation_authority_hints=[f"{registry}/federation/MY"],
    )
    app = create_app(settings)
    with UvicornServer(app, port=free_port()) as server, httpx.Client(base_url=server.base_url) as http:
        answer = http.get("/.well-known/openid-federation")
    assert answer.status_code == 200
    jws = parse_compact(answer.text)
    claims = verify_parsed(jws, public_key_from_jwk(printed["keys"][0]), algorithms=frozenset({"ES256"}), typ=None)
    assert claims["sub"] == "https://verifier.example.gov"


def test_the_guide_is_mostly_commands() -> None:
    blocks = _BLOCK.findall(GUIDE.read_text())
    assert sum(kind == "sh" for kind, _ in blocks) >= 8
    assert "lintas keys csr" in script(GUIDE.read_text())


def test_a_broken_guide_fails(tmp_path: Path) -> None:
    broken = GUIDE.read_text().replace("lintas keys csr access --dir", "lintas keys csrr access --dir", 1)
    assert play(broken, tmp_path).returncode != 0


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_the_overlay_it_makes_renders_with_its_values(played: Path) -> None:
    objects = _documents(played / "verifier.yaml")
    for obj in objects:
        validate(obj)
    env = next(o for o in objects if o["kind"] == "ConfigMap" and "LINTAS_VERIFIER_PUBLIC_URL" in o.get("data", {}))
    assert env["data"]["LINTAS_VERIFIER_PUBLIC_URL"] == "https://verifier.example.gov"
    assert re.fullmatch(r"[0-9a-f]{64}", env["data"]["LINTAS_VERIFIER_REGISTRY_PIN_SHA256"])
    assert set(env["data"]["LINTAS_VERIFIER_REGISTRY_PIN_SHA256"]) != {"0"}  # the placeholder was replaced
    ingress = next(o for o in objects if o["kind"] == "Ingress")
    assert ingress["spec"]["rules"][0]["host"] == "verifier.example.gov"


def test_the_keys_secret_matches_the_init_container(played: Path) -> None:
    secrets = [d for p in sorted(played.glob("dry-run-*.yaml")) for d in _documents(p) if d["kind"] == "Secret"]
    keys = next(s for s in secrets if s["metadata"]["name"] == "lintas-verifier-keys")
    deployment = next(o for o in _documents(played / "verifier.yaml") if o["kind"] == "Deployment")
    init = deployment["spec"]["template"]["spec"]["initContainers"][0]
    installed = set(re.findall(r"/secrets/(\S+)", " ".join(init["args"])))
    assert set(keys["data"]) == installed
    redis = next(s for s in secrets if s["metadata"]["name"] == "lintas-redis" and "ca.crt" in s["data"])
    assert {"url", "ca.crt"} == set(redis["data"])
    assert any(s.get("type") == "kubernetes.io/tls" for s in secrets)


def test_the_issued_certificate_is_used_by_the_verifier(played: Path) -> None:
    from verifier.app import create_app
    from verifier.settings import VerifierSettings

    data = played / "verifier-data"
    issued = certificate_from_pem((data / "access-cert.pem").read_bytes())
    ca = certificate_from_pem((data / "rp-ca.pem").read_bytes())
    assert validate_chain([issued], [ca], datetime.now(UTC)) == issued  # the wallet's chain rule
    assert san_dns_names(issued) == ["verifier.example.gov"]
    settings = VerifierSettings(
        public_url="https://verifier.example.gov", data_dir=data, config_file=played / "verifier-config.json"
    )
    app = create_app(settings)
    with UvicornServer(app, port=free_port()):  # runs the lifespan, which closes what the app opened
        keys = app.state.keys
        assert keys.access_cert == issued  # not replaced by a self-issued one
        assert keys.rp_ca_cert == ca
        assert issued.public_key() == keys.request_signer.private_key.public_key()


def test_the_guide_registers_two_relying_parties_from_two_countries(played: Path) -> None:
    import json

    registered = json.loads((played / "verifier-data" / "relying-parties.json").read_text())
    assert {cid: rp["country"] for cid, rp in registered.items()} == {"my-bank-kyc": "MY", "th-shop": "TH"}
    listed = {r["client_id"]: r for r in json.loads((played / "relying-parties.txt").read_text())}
    assert listed["my-bank-kyc"]["legal_name"] == "Bank Rakyat Contoh Berhad"
    secrets = json.loads((played / "verifier-data" / "rp-clients.json").read_text())
    assert {"my-bank-kyc", "th-shop"} <= set(secrets)


def _wallet_sees(http: Any, base: str, secret: str, client_id: str, policy: str, ca: Any) -> dict[str, Any]:
    """As a wallet: fetch the relying party's signed request, check it and its verifier_info, return ``rp``."""
    import time

    from idcore.jose import parse_compact, verify_compact
    from idcore.oid4vp import parse_request_link, verify_request_object
    from idcore.x509 import parse_x5c
    from verifier.parties import VERIFIER_INFO_TYP

    token = http.post(f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    created = http.post(f"{base}/v1/presentations", json={"policy": policy}, headers=bearer)
    assert created.status_code == 201, created.text
    link = parse_request_link(created.json()["request_link"])
    assert link["request_uri"].startswith("https://verifier.example.gov/wallet/request/")
    local = base + link["request_uri"].removeprefix("https://verifier.example.gov")
    signed = http.post(local, data={"wallet_nonce": "n"}).text
    claims = verify_request_object(
        signed, client_id=link["client_id"], anchors=[ca], now=int(time.time()), wallet_nonce="n"
    )
    assert claims["verifier_info"][0]["format"] == "lintas_rp_registration"
    data = claims["verifier_info"][1]["data"]
    assert parse_compact(data).header["x5c"][0] == parse_compact(signed).header["x5c"][0]
    _, payload = verify_compact(
        data, parse_x5c(parse_compact(data).header["x5c"])[0].public_key(), algorithms={"ES256"}, typ=VERIFIER_INFO_TYP
    )
    assert payload["sub"] == claims["client_id"]
    assert claims["verifier_info"][0]["data"]["relying_party"] == payload["rp"]
    return dict(payload["rp"])


def test_a_wallet_sees_each_relying_party_and_metrics_need_the_token(played: Path) -> None:
    import json

    import httpx

    from verifier.app import create_app
    from verifier.settings import VerifierSettings

    data = played / "verifier-data"
    token = (played / "admin-token").read_text()
    settings = VerifierSettings(
        public_url="https://verifier.example.gov",
        data_dir=data,
        config_file=played / "verifier-config.json",
        admin_token=token,  # type: ignore[arg-type]
    )
    secrets = json.loads((data / "rp-clients.json").read_text())
    ca = certificate_from_pem((data / "rp-ca.pem").read_bytes())
    port = free_port()
    with UvicornServer(create_app(settings), port=port), httpx.Client(timeout=10) as http:
        base = f"http://127.0.0.1:{port}"
        bank = _wallet_sees(http, base, secrets["my-bank-kyc"], "my-bank-kyc", "pid-onboarding", ca)
        shop = _wallet_sees(http, base, secrets["th-shop"], "th-shop", "age-check", ca)
        assert (bank["legal_name"], bank["country"]) == ("Bank Rakyat Contoh Berhad", "MY")
        assert (shop["legal_name"], shop["country"]) == ("Contoh Online (Thailand) Co., Ltd.", "TH")
        assert http.get(f"{base}/metrics").status_code == 401
        assert http.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200

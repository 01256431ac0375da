"""Benchmark: the verifier's in-process validation pipeline vs the core SD-JWT verification rate.

Same presentation for both (a person-ID SD-JWT VC with ``x5c``, 5 claims disclosed, KB-JWT
required): the core rate is :func:`idcore.sdjwt.verify_sd_jwt` with the issuer key pre-resolved;
the pipeline adds ``x5c`` chain validation to the issuing country's national anchor (cached per
trust-list sequence), registry authorisation at issuance time and now, the status list (cached
per its TTL), validity, DCQL and the relying party's policy. Rates are measured in the same run.

    python benchmarks/verifier_pipeline.py [--seconds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tests.verifier.world as world_module
from idcore.jose import KeySigner
from idcore.ports import FixedClock
from idcore.sdjwt import HolderCredential, KeyBindingPolicy, VerifyOptions, verify_sd_jwt
from tests.verifier.world import PID_CLAIMS, World, new_key
from verifier.pipeline import Expectation, Pipeline
from verifier.policy import load_config
from verifier.settings import DEFAULT_CONFIG
from verifier.status import StatusChecker

AUD = "x509_hash:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
NONCE = "b1Xh2m4Q9s0PqLrT"


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second over about ``seconds`` (after a short warm-up)."""
    for _ in range(20):
        fn()
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            fn()
        count += 50
    return count / elapsed


def measure(seconds: float, cpu: int | None = None) -> dict[str, float]:
    """Core verify and pipeline rates (per second) and their ratio, measured in the same run.

    ``cpu``: pin the calling thread to that core for the measurement (restored afterwards);
    default the lowest core this process may use, like the core benchmark.
    """
    t0 = world_module.T0  # read now: a served benchmark may have moved the world to the real clock
    world = World("http://127.0.0.1:9")  # status lists are served in-process below
    clock = FixedClock(t0)
    holder_key = KeySigner(new_key())
    issuer = world.issuers["sg-pid"]
    # iat/exp given: World.issue's defaults were bound to the module's T0 at import.
    holder = HolderCredential.parse(
        world.issue("sg-pid", dict(PID_CLAIMS), dict(holder_key.public_jwk), iat=t0 - 86400, exp=t0 + 365 * 86400)
    )
    wanted = [["given_name"], ["family_name"], ["birthdate"], ["nationality"], ["age_over_18"]]
    presentation = holder.present(holder.select(wanted), signer=holder_key, aud=AUD, nonce=NONCE, iat=t0)
    policy = load_config(DEFAULT_CONFIG).policies["pid-onboarding"]

    def served(url: str, _timeout: float) -> bytes:
        return world.status_token(url.rsplit("/", 1)[1]).encode()

    status = StatusChecker(served, clock, max_cache=3600)
    pipeline = Pipeline(
        trust=world.trust_cache(clock).snapshot, status=status, clock=clock, allow_insecure_loopback=True
    )
    expect = Expectation(policy.query, policy, NONCE, AUD)
    options = VerifyOptions(clock=clock, typ=("dc+sd-jwt",), key_binding=KeyBindingPolicy(NONCE, AUD))
    issuer_public = issuer.signer.private_key.public_key()
    assert pipeline.verify({"pid": [presentation]}, expect)
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(previous) if cpu is None else cpu})  # pid 0: the calling thread only
    try:
        core = rate(lambda: verify_sd_jwt(presentation, issuer_public, options), seconds)
        full = rate(lambda: pipeline.verify({"pid": [presentation]}, expect), seconds)
    finally:
        os.sched_setaffinity(0, previous)
    return {"pipeline_per_s": round(full, 1), "core_verify_per_s": round(core, 1), "ratio": round(full / core, 3)}


def main() -> int:
    """Run both measurements and print a table (or one JSON line)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.seconds)
    if args.json:
        print(json.dumps(result))
        return 0
    print("verifier pipeline vs core SD-JWT verification (one core, same run)")
    print(f"{'measurement':<44}{'per second':>12}")
    print(f"{'core verify_sd_jwt (issuer key known)':<44}{result['core_verify_per_s']:>12.0f}")
    print(f"{'pipeline (x5c, registry, status, DCQL, policy)':<44}{result['pipeline_per_s']:>12.0f}")
    print(f"{'ratio pipeline / core':<44}{result['ratio']:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

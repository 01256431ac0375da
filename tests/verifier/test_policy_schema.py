"""The policy file has a JSON Schema, is validated at start-up, and every problem names its line.

Twins: the examples validate (schema and loader) while a file with a misspelt member, a string
for a number and a non-ASEAN country refuses start-up with each problem's line and column; the
committed schema equals the one generated from the models, so the two cannot drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lintas.testing import UvicornServer, free_port
from lintas_cli.main import main
from verifier.app import create_app
from verifier.policy import ConfigError, load_config
from verifier.policy_schema import config_schema, value_positions
from verifier.settings import VerifierSettings

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "verifier" / "policy.schema.json"
EXAMPLES = sorted((ROOT / "verifier" / "policies").glob("*.json"))
BAD = """{
  "policies": {
    "age": {
      "purpose": "Age",
      "credentials": [
        {"id": "pid", "vct_values": ["x"], "claims": [["age_over_18"]]}
      ],
      "require_holder_bindng": true,
      "max_credential_age": "10"
    }
  },
  "relying_parties": {
    "shop": {"name": "Shop", "country": "FR", "policies": ["age"]}
  }
}
"""


def test_the_committed_schema_is_the_generated_one() -> None:
    assert json.loads(SCHEMA.read_text()) == config_schema()
    jsonschema.Draft202012Validator.check_schema(config_schema())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_examples_are_valid(example: Path) -> None:
    document = json.loads(example.read_text())
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(document)
    config = load_config(example)
    assert config.policies
    assert config.relying_parties


def test_examples_cover_kyc_age_and_business() -> None:
    assert {p.stem for p in EXAMPLES} >= {"kyc", "age", "business-onboarding"}


def test_the_schema_refuses_what_the_loader_refuses(tmp_path: Path) -> None:
    bad = tmp_path / "verifier-config.json"
    bad.write_text(BAD)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(json.loads(BAD))
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    lines = str(caught.value).splitlines()[1:]
    assert [line.strip().split(": ")[0] for line in lines] == [f"{bad}:8:32", f"{bad}:9:29", f"{bad}:13:41"]
    assert "require_holder_bindng: Extra inputs are not permitted" in lines[0]
    assert "max_credential_age" in lines[1]
    assert "relying_parties.shop.country" in lines[2]


def test_a_json_syntax_error_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "c.json"
    bad.write_text('{\n  "policies": {\n    "a": {,}\n  }\n}\n')
    with pytest.raises(ConfigError, match=r"c\.json:3:11: not valid JSON"):
        load_config(bad)


def test_start_up_refuses_an_invalid_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "verifier-config.json"
    bad.write_text(BAD)
    settings_ = VerifierSettings(
        public_url="http://localhost:8400", development=True, data_dir=tmp_path / "data", config_file=bad
    )
    with pytest.raises(ConfigError, match=":8:32:"):
        create_app(settings_)
    monkeypatch.delenv("LINTAS_VERIFIER_PUBLIC_URL", raising=False)
    code = main(["verifier", "--data", str(tmp_path / "data"), "--config", str(bad), "--port", str(free_port())])
    assert code == 2
    assert f"{bad}:13:41: relying_parties.shop.country" in capsys.readouterr().err


def test_the_schema_is_served(tmp_path: Path) -> None:
    port = free_port()
    app = create_app(VerifierSettings(public_url=f"http://localhost:{port}", development=True, data_dir=tmp_path))
    with UvicornServer(app, port=port), httpx.Client() as http:
        response = http.get(f"http://localhost:{port}/.well-known/lintas/policy.schema.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    assert response.json() == config_schema()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


@settings(max_examples=150, deadline=None)
@given(document=_json, indent=st.sampled_from([None, 1, 4]))
def test_value_positions_point_at_each_value(document: Any, indent: int | None) -> None:
    text = json.dumps(document, indent=indent, ensure_ascii=indent is None)
    positions = value_positions(text)
    decoder = json.JSONDecoder()
    for path, offset in positions.items():
        assert decoder.raw_decode(text, offset)[0] == _at(document, path)
    assert len(positions) >= 1

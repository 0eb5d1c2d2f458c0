"""The running service against its own OpenAPI schema, fuzzed by schemathesis.

Every documented operation gets generated requests, valid and invalid, and every check runs,
none switched off: no 5xx; statuses, content types, headers and bodies as documented;
schema-invalid requests refused; schema-valid requests accepted. The schema says each field's
shape exactly; for the quote operations a schema-valid cart may still be refused for a rule
between fields or an unknown code, and tests/schemathesis_hooks.py checks that every such 422
is one of those (tests/schemathesis.toml allows 422 and 413 there, and nothing else).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import schemathesis
from conftest_service import Server, copy_rules

from pricing.service import EngineProvider, create_app

ADMIN = "admin-secret-token"
TESTS = Path(__file__).resolve().parent


def test_the_service_keeps_to_its_openapi_schema(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    app = create_app(EngineProvider.from_directory(rules), quote_key="k" * 32,
                     admin_token=ADMIN, watch_interval=None)
    site = str(Path(schemathesis.__file__).resolve().parent.parent)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join(filter(None, [site, str(TESTS),
                                                       os.environ.get("PYTHONPATH")]))}
    with Server(app) as srv:
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli",
             "--config-file", str(TESTS / "schemathesis.toml"),
             "run", f"{srv.url}/openapi.json", "--checks", "all",
             "--max-examples", "10", "--seed", "20261123",
             "-H", f"Authorization: Bearer {ADMIN}"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "schema_valid_requests_fail_only_on_business_rules" not in run.stdout

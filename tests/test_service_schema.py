"""The running service against its own OpenAPI schema, fuzzed by schemathesis.

Every documented operation gets generated requests, valid and invalid; the checks: no 5xx,
every status and content type documented, every response body matching its schema. The
"schema-valid request rejected" check is off: the schema says a country is a string, the
service (rightly) refuses strings that are not ISO codes.
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


def test_the_service_keeps_to_its_openapi_schema(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    app = create_app(EngineProvider.from_directory(rules), quote_key="k" * 32,
                     admin_token=ADMIN, watch_interval=None)
    site = str(Path(schemathesis.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [site, os.environ.get("PYTHONPATH")]))}
    with Server(app) as srv:
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"{srv.url}/openapi.json",
             "--max-examples", "10", "--seed", "20261123",
             "--exclude-checks", "positive_data_acceptance",
             "-H", f"Authorization: Bearer {ADMIN}"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=170)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]

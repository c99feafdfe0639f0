"""Runs the web client's own checks (vitest + codegen drift) so the README's pytest command covers it."""

import json
import os
import shutil
import subprocess
from pathlib import Path

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


def _npm(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1", "CI": "1"}
    return subprocess.run(["npm", *args], cwd=FRONTEND, env=env, capture_output=True, text=True, timeout=600)


def _ensure_installed() -> None:
    assert shutil.which("npm"), "npm is required for the frontend checks"
    if not (FRONTEND / "node_modules").is_dir():
        result = _npm("ci", "--no-audit", "--no-fund")
        assert result.returncode == 0, result.stdout + result.stderr


def test_vitest_suite_passes(tmp_path: Path) -> None:
    """Every test ran and passed: a skipped or todo test (``it.skip``, ``it.todo``, ``.only`` elsewhere) fails
    this, since a test that does not run proves nothing. Read from vitest's JSON report, not its prose."""
    _ensure_installed()
    report_path = tmp_path / "vitest.json"
    result = _npm("test", "--", "--reporter=default", "--reporter=json", f"--outputFile={report_path}")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(report_path.read_text())
    assert report["numTotalTests"] > 0
    assert report["numPassedTests"] == report["numTotalTests"], {
        k: report[k] for k in ("numTotalTests", "numPassedTests", "numPendingTests", "numTodoTests")
    }
    statuses = {
        (suite["name"], test["fullName"]): test["status"]
        for suite in report["testResults"]
        for test in suite["assertionResults"]
    }
    assert set(statuses.values()) == {"passed"}, {k: v for k, v in statuses.items() if v != "passed"}


def test_generated_operations_match_schema() -> None:
    _ensure_installed()
    result = _npm("run", "codegen:check")
    assert result.returncode == 0, result.stdout + result.stderr

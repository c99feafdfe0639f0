"""Runs the web client's own checks (vitest + codegen drift) so the README's pytest command covers it."""

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


def test_vitest_suite_passes() -> None:
    _ensure_installed()
    result = _npm("test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout


def test_generated_operations_match_schema() -> None:
    _ensure_installed()
    result = _npm("run", "codegen:check")
    assert result.returncode == 0, result.stdout + result.stderr

"""CI's strict mode (tests/conftest.py): with CI=true a missing reference dependency fails the
run; without it, the same tests skip. Each case runs pytest in a subprocess on a scratch folder
whose conftest takes its hooks from tests/conftest.py."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT, missing_extras

HOOKS = "from tests.conftest import pytest_configure, pytest_unconfigure, pytest_sessionstart  # noqa: F401\n"
TESTS = {
    "test_in_a_test.py": """
        import pytest

        def test_needs_a_reference():
            pytest.importorskip("no_such_reference_module_14")
        """,
    "test_at_module_level.py": """
        import pytest

        pytest.importorskip("no_such_reference_module_14b")

        def test_never_collected_without_it():
            pass
        """,
    "test_legitimate_skip.py": """
        import pytest

        @pytest.mark.skipif(True, reason="root reads a chmod 000 file")
        def test_unreadable_file():
            pass

        def test_runs():
            pass
        """,
}


def run_pytest(tmp_path: Path, ci: str | None, extras: str = '["pytest>=7"]', tests=TESTS):
    (tmp_path / "conftest.py").write_text(HOOKS)
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "scratch"\n\n[project.optional-dependencies]\nreference = {extras}\n\n[tool.pytest.ini_options]\n'
    )
    for name, text in tests.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTHONPATH": str(ROOT)}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_without_ci_missing_references_skip(tmp_path):
    result = run_pytest(tmp_path, ci=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 3 skipped" in result.stdout


def test_with_ci_a_missing_module_fails_the_test_and_other_skips_stay(tmp_path):
    tests = {k: TESTS[k] for k in ("test_in_a_test.py", "test_legitimate_skip.py")}
    result = run_pytest(tmp_path, ci="true", tests=tests)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "1 failed, 1 passed, 1 skipped" in out  # the chmod-000-style skip stays a skip
    assert "root reads a chmod 000 file" in out
    assert "CI=true: reference dependency missing, not skipped: could not import 'no_such_reference_module_14'" in out


def test_with_ci_a_module_level_importorskip_is_a_collection_error(tmp_path):
    tests = {"test_at_module_level.py": TESTS["test_at_module_level.py"]}
    result = run_pytest(tmp_path, ci="true", tests=tests)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "ERROR" in out and "1 error" in out
    assert "could not import 'no_such_reference_module_14b'" in out


def test_with_ci_a_missing_extra_stops_the_run(tmp_path):
    tests = {"test_legitimate_skip.py": TESTS["test_legitimate_skip.py"]}
    extras = '["pytest>=7", "no-such-distribution-14>=1", "hypothesis==0.0.1"]'
    result = run_pytest(tmp_path, ci="true", extras=extras, tests=tests)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "CI=true: reference dependencies missing" in out
    assert "no-such-distribution-14 (extra 'reference') is not installed" in out
    assert "hypothesis (extra 'reference') is " in out and "the extra pins 0.0.1" in out
    assert "passed" not in out  # nothing ran
    lenient = run_pytest(tmp_path, ci="false", extras=extras, tests=tests)  # only "true" is strict
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr


def test_this_checkout_has_every_extra():
    """The extras the README's test command installs are all here (what CI=true requires)."""
    assert missing_extras(ROOT / "pyproject.toml") == []

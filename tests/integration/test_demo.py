"""The demo is the project's end-to-end run: every section asserts its own key facts, so a broken
economy makes `ape run demo` exit non-zero. This runs it on its own Anvil (a free port)."""

from __future__ import annotations

from tests.ape_subprocess import ape_run


def test_demo__ape_run_demo__runs_every_section_and_exits_0():
    out = ape_run("demo", "--verbosity", "WARNING")
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-5000:]
    assert "demo finished" in out.stdout
    assert "NO (off by" not in out.stdout

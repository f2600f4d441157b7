"""The demo is the project's end-to-end run: every section asserts its own key facts, so a broken
economy makes `ape run demo` exit non-zero. This runs it on its own Anvil (a free port)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from ionet.manifest import ROOT


def test_demo__ape_run_demo__runs_every_section_and_exits_0():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, APE_FOUNDRY_HOST=f"http://127.0.0.1:{port}", COLUMNS="150")
    ape = os.path.join(os.path.dirname(sys.executable), "ape")
    out = subprocess.run([ape, "run", "demo", "--verbosity", "WARNING"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-5000:]
    assert "demo finished" in out.stdout
    assert "NO (off by" not in out.stdout

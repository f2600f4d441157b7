"""Run an `ape run <script>` end to end in a subprocess, on its own Anvil at a free port, so the
test chain of the running session is untouched and parallel runs never share an Anvil."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from ionet.manifest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ape_run(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, APE_FOUNDRY_HOST=f"http://127.0.0.1:{free_port()}", COLUMNS="150")
    ape = os.path.join(os.path.dirname(sys.executable), "ape")
    return subprocess.run([ape, "run", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)

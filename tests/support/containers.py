"""Rootful podman for the container tests, set up as ../shared/FIELD-NOTES.md found it works here.

No registry can be reached, so the base image is made from Debian packages with mmdebstrap
(once; kept in podman's store between runs). podman reads its settings from a containers.conf
of ours (CONTAINERS_CONF): runc as the runtime (crun fails on this kernel's hybrid cgroups) and
default ulimits no higher than the machine's hard limits.
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support import ROOT

BASE_IMAGE = "localhost/glossary-base:bookworm"
# What the Dockerfile needs from a base: Python with venv, and nginx (which the official
# python:3.11-slim base gets from apt at build time instead).
BASE_PACKAGES = "python3,python3-venv,python3-pip,ca-certificates,passwd,nginx-light"
# The Dockerfile's first stage compiles index/_scan.c: the same base with a compiler and headers.
BUILD_BASE_IMAGE = "localhost/glossary-build-base:bookworm"
BUILD_BASE_PACKAGES = BASE_PACKAGES + ",gcc,libc6-dev,python3-dev"
STATE = ROOT / "var" / "containers"


def environment() -> dict[str, str]:
    STATE.mkdir(parents=True, exist_ok=True)
    conf = STATE / "containers.conf"
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = min(32768, resource.getrlimit(resource.RLIMIT_NPROC)[1])
    conf.write_text(
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'
        "[engine]\n"
        'runtime = "runc"\n'
        'cgroup_manager = "cgroupfs"\n'
        'events_logger = "file"\n'
    )
    return {**os.environ, "CONTAINERS_CONF": str(conf)}


def podman(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["podman", *args], env=environment(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def ensure_base_images() -> float:
    """Make the base images unless podman has them; returns the seconds it took (0 when cached)."""
    return _ensure_base(BASE_IMAGE, BASE_PACKAGES) + _ensure_base(BUILD_BASE_IMAGE, BUILD_BASE_PACKAGES)


def _ensure_base(image: str, packages: str) -> float:
    if podman("image", "exists", image, check=False).returncode == 0:
        return 0.0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="glossary-base-") as work:
        tarball = Path(work) / "base.tar"
        hooks = []
        # The host's extra CA certificates (a TLS-intercepting egress): pip in the build needs them.
        extra = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
        for cert in extra:
            hooks += ["--customize-hook", f"copy-in {cert} /usr/local/share/ca-certificates/"]
        if extra:
            hooks += ["--customize-hook", 'chroot "$1" update-ca-certificates']
        subprocess.run(
            [
                "mmdebstrap",
                "--quiet",
                "--variant=minbase",
                f"--include={packages}",
                *hooks,
                "bookworm",
                str(tarball),
                "/etc/apt/sources.list.d/debian.sources",
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
        podman("import", str(tarball), image, timeout=300)
    return time.monotonic() - started

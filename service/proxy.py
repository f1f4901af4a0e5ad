"""nginx in front of gunicorn's sync workers, for clients that are slow to send or to read.

A sync worker serves one connection at a time: two clients sending their headers at a byte a
second were enough to stop the service. nginx reads each request whole (headers within
`PROXY_HEADER_TIMEOUT`, the body with at most `PROXY_BODY_TIMEOUT` between reads) before it
hands it to a worker over a unix socket, and buffers each answer, so a worker is never held by
a slow client; thousands of such connections cost nginx a few KB each.

With `GLOSSARY_SERVICE_PROXY=nginx`, gunicorn's master starts nginx on `BIND` once its workers
can be reached (gunicorn itself then listens on a private unix socket) and stops it on exit;
nginx dies with the master even when the master is killed.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1

# The errors nginx answers itself, with the API's JSON error body.
_OWN_ERRORS = {
    413: ("payload_too_large", "the body is larger than the limit"),
    502: ("service_unavailable", "the workers of the service cannot be reached; retry shortly"),
    504: ("service_unavailable", "the service took too long to answer; retry shortly"),
}


def private_socket() -> Path:
    """Where gunicorn listens when nginx is in front: a folder only this user can enter."""
    return Path(tempfile.mkdtemp(prefix="glossary-service-")) / "gunicorn.sock"


def _listen(bind: str) -> str:
    host, _, port = bind.rpartition(":")
    return f"[{host.strip('[]')}]:{port}" if ":" in host.strip("[]") else bind


def nginx_config(bind: str, upstream: Path, server: dict[str, Any], max_body: int) -> str:
    run = upstream.parent
    error_pages = "\n".join(f"        error_page {status} @error{status};" for status in _OWN_ERRORS)
    error_locations = "\n".join(
        f"""        location @error{status} {{
            default_type application/json;
            return {503 if status in (502, 504) else status} '{_error_body(code, message)}';
        }}"""
        for status, (code, message) in _OWN_ERRORS.items()
    )
    user = "user root root;" if os.geteuid() == 0 else ""  # else nginx would switch to nobody
    return f"""# Written by service/proxy.py for this run; see there for why.
{user}
worker_processes 1;
pid {run}/nginx.pid;
error_log stderr warn;
events {{ worker_connections {server["PROXY_MAX_CONNECTIONS"]}; }}
http {{
    access_log off;
    server_tokens off;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    client_header_timeout {server["PROXY_HEADER_TIMEOUT"]}s;
    client_body_timeout {server["PROXY_BODY_TIMEOUT"]}s;
    send_timeout {server["PROXY_SEND_TIMEOUT"]}s;
    keepalive_timeout 15s;
    reset_timedout_connection on;
    client_max_body_size {max_body};
    upstream gunicorn {{
        server unix:{upstream};
    }}
    server {{
        listen {_listen(bind)};
{error_pages}
        location / {{
            proxy_pass http://gunicorn;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffering on;
            proxy_request_buffering on;
            proxy_buffers 64 16k;
            proxy_read_timeout 60s;
            proxy_intercept_errors off;
        }}
{error_locations}
    }}
}}
"""


def _error_body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message, "details": {}}})


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start_nginx(bind: str, upstream: Path, server: dict[str, Any], max_body: int) -> subprocess.Popen[bytes]:
    """Start nginx in the foreground as a child of this process (gunicorn's master)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        raise RuntimeError("GLOSSARY_SERVICE_PROXY=nginx, but nginx is not installed (apt-get install nginx-light)")
    config = upstream.parent / "nginx.conf"
    config.write_text(nginx_config(bind, upstream, server, max_body), encoding="utf-8")
    check = subprocess.run([binary, "-e", "stderr", "-t", "-q", "-c", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx refused its configuration: {check.stderr.strip()}")
    return subprocess.Popen(
        [binary, "-e", "stderr", "-c", str(config), "-g", "daemon off;"],
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - gunicorn's master has no other threads here
    )


def stop_nginx(process: subprocess.Popen[bytes], upstream: Path) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGQUIT)  # graceful: finish the answers in flight
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    shutil.rmtree(upstream.parent, ignore_errors=True)

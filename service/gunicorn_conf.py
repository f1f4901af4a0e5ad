"""gunicorn settings for the service (`gunicorn -c service/gunicorn_conf.py 'service:create_app()'`).

Worker class and count come from bench/load.py on this 2-core machine: sync workers, one per
core, gave the best p99 and spread load evenly between workers. gthread kept every keep-alive
connection on the worker that accepted it, leaving the other idle, and its p99 was worse. Sync
workers need a proxy in front (nginx) for slow clients; behind one, they are the right choice.

The master loads the Korean analyser (about 500 MB) before it forks, so that the workers and
the background writer share its pages instead of loading one copy each, and forks the one
background writer process (service/writer_process.py), which re-matches glossary edits and
computes derived data so that no serving worker spends its time on that.
"""

import gc
import logging
import multiprocessing
import os
import signal

from service import proxy
from service.config import server_settings, settings

_server = server_settings()
if _server["PROXY"] == "nginx":  # nginx listens on BIND; the workers on a private socket behind it
    _upstream = proxy.private_socket()
    bind = f"unix:{_upstream}"
elif _server["PROXY"]:
    raise SystemExit(f"GLOSSARY_SERVICE_PROXY={_server['PROXY']!r}: the proxy we run is nginx")
else:
    bind = _server["BIND"]
workers = _server["WORKERS"] or multiprocessing.cpu_count()
worker_class = _server["WORKER_CLASS"]
threads = _server["THREADS"]
timeout = 30
graceful_timeout = 10
keepalive = 2
# Each worker opens the index itself (no preload_app): a worker that dies takes nothing
# shared with it. Only the read-only analyser is loaded before the fork (on_starting).
preload_app = False
accesslog = _server["ACCESS_LOG"]
errorlog = "-"
loglevel = _server["LOG_LEVEL"]
limit_request_line = 8190
# The writer process does the background work; a worker checks only now and then whether it
# has to take over (when that process has died).
os.environ.setdefault("GLOSSARY_SERVICE_BACKGROUND_WRITER_SECONDS", "5")

_writer_pid = 0
_nginx = None


def on_starting(server):  # type: ignore[no-untyped-def]
    """Load Kiwi with the glossary's Korean labels before the fork (shared copy-on-write)."""
    from index import korean
    from index.errors import GlossaryServiceError
    from index.glossary import parse_terms, read_glossary_text
    from index.matcher import korean_user_words

    path = settings()["GLOSSARY_PATH"]
    try:
        # The terms only: building a matcher here would load Kiwi before its user words are known.
        terms = parse_terms(read_glossary_text(path), str(path)).terms
    except GlossaryServiceError:
        return  # the workers report the problem; they still serve the index's glossary
    words = korean_user_words(terms)  # exactly the words each matcher asks for
    if words:
        korean.add_user_words(words)
        korean.preload()
    gc.freeze()  # the analyser's objects: never scanned by the collector, never copied by it after the fork


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """What a worker made at start (the index, the glossary, the analyser) lives as long as it:
    the cyclic collector need not walk it again. Without this, the first request that makes many
    objects (annotate of 1 MB: 250,000 matches) paid a full collection of all of it (1.7 s)."""
    gc.collect()
    gc.freeze()


def when_ready(server):  # type: ignore[no-untyped-def]
    global _writer_pid, _nginx
    from service.writer_process import start

    if _server["PROXY"] == "nginx":
        _nginx = proxy.start_nginx(_server["BIND"], _upstream, _server, settings()["MAX_CONTENT_LENGTH"])
        server.log.info("nginx %d listens on %s in front of the workers", _nginx.pid, _server["BIND"])
    if not _server["WRITER_PROCESS"]:
        return  # another app under these settings (the benchmark's hello ceiling)

    _writer_pid = start()
    logging.getLogger("gunicorn.error").info("background writer process %d started", _writer_pid)


def on_exit(server):  # type: ignore[no-untyped-def]
    if _nginx is not None:
        proxy.stop_nginx(_nginx, _upstream)
    if _writer_pid:
        try:
            os.kill(_writer_pid, signal.SIGTERM)
            os.waitpid(_writer_pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

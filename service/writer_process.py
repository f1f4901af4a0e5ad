"""The deployment's background writer as a process of its own, started by gunicorn's master.

Matching text is CPU work: a serving worker that did it in a thread would answer its requests
late meanwhile. So gunicorn's master forks this process once it is ready (after loading the
Korean analyser, which the fork shares), and it takes the index's writer lock before any
worker tries. If it dies, the workers' own writer threads take the lock over.
"""

from __future__ import annotations

import logging
import os
import signal
import time

from index.backends import open_index
from index.library import Library
from index.live import LiveGlossary
from index.poller import SourcePoller
from index.writer import BackgroundWriter
from service.config import fetch_policy, settings

log = logging.getLogger("glossary.writer")
INTERVAL_SECONDS = 0.5


def run(parent: int) -> None:
    """Be the writer until the parent (gunicorn's master) is gone or asks us to stop."""
    os.nice(10)  # background work: the serving workers come first for the CPU
    config = settings()
    index = open_index(config["INDEX_DIR"], config["DATABASE_URL"], lazy=True)
    library = Library(None if config["DATABASE_URL"] else config["CORPUS_DIR"], index, config["INDEX_DIR"])
    writer = BackgroundWriter(
        index,
        LiveGlossary(config["GLOSSARY_PATH"], poll_seconds=0.0, review_path=config["REVIEW_PATH"]),
        derived_every=config["DERIVED_EVERY_SECONDS"],
        poller=SourcePoller(config["SOURCES_PATH"], library, fetch_policy(config)),
        review_path=config["REVIEW_PATH"],
    )
    while os.getppid() == parent:
        try:
            writer.run_once()
        except Exception:  # noqa: BLE001 - keep writing after a failed attempt; it is logged
            log.exception("background writer failed; will retry")
        time.sleep(INTERVAL_SECONDS)
    index.close()


def start() -> int:
    """Fork the writer process; returns its pid (in the parent)."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    for sig in (
        signal.SIGTERM,
        signal.SIGINT,
        signal.SIGHUP,
        signal.SIGQUIT,
        signal.SIGCHLD,
        signal.SIGUSR1,
        signal.SIGUSR2,
        signal.SIGTTIN,
        signal.SIGTTOU,
        signal.SIGWINCH,
    ):
        signal.signal(sig, signal.SIG_DFL)  # not gunicorn's master handlers
    code = 0
    try:
        run(parent)
    except BaseException:  # noqa: BLE001 - a child must never return into gunicorn's code
        log.exception("background writer process stopped")
        code = 1
    os._exit(code)

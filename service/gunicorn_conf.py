"""gunicorn settings for the service (`gunicorn -c service/gunicorn_conf.py 'service:create_app()'`).

Worker class and count come from bench/load.py on this 2-core machine: sync workers, one per
core, gave the best p99 and spread load evenly between workers. gthread kept every keep-alive
connection on the worker that accepted it, leaving the other idle, and its p99 was worse. Sync
workers need a proxy in front (nginx) for slow clients; behind one, they are the right choice.
"""

import multiprocessing
import os

bind = os.environ.get("GLOSSARY_SERVICE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GLOSSARY_SERVICE_WORKERS", multiprocessing.cpu_count()))
worker_class = os.environ.get("GLOSSARY_SERVICE_WORKER_CLASS", "sync")
threads = int(os.environ.get("GLOSSARY_SERVICE_THREADS", 1))
timeout = 30
graceful_timeout = 10
keepalive = 2
# Each worker opens the index and loads the glossary itself (no preload): a worker that
# dies takes nothing shared with it, and each picks up glossary edits on its own.
preload_app = False
accesslog = os.environ.get("GLOSSARY_SERVICE_ACCESS_LOG")  # off unless asked for ("-" = stdout)
errorlog = "-"
loglevel = os.environ.get("GLOSSARY_SERVICE_LOG_LEVEL", "info")
limit_request_line = 8190

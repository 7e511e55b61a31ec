"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the project folder.

Each setting can be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Sync workers: each request holds one process, which suits short database-bound requests
# behind a buffering reverse proxy (nginx), where slow clients never reach gunicorn.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30  # a request that takes longer is a bug; the worker is replaced
graceful_timeout = 30  # on SIGTERM, finish requests in flight
keepalive = 5
# Recycle workers now and then, so no slow leak grows without bound (rarely: a recycled
# worker closes its connection, which a client mid-request sees as an error).
max_requests = 20000
max_requests_jitter = 2000
# Request size limits beyond the app's own (MAX_CONTENT_LENGTH): header abuse.
limit_request_line = 8190
limit_request_fields = 100

# Access log on stdout without client addresses, query strings, referrers, user agents or
# personal link tokens (eventsapp/access_log.py).
accesslog = "-"
errorlog = "-"
logger_class = "eventsapp.access_log.RedactingLogger"
access_log_format = '%(t)s "%(r)s" %(s)s %(B)s %(M)sms'
# Trust X-Forwarded-* only through the app's PROXY_HOPS (werkzeug ProxyFix), not here.
forwarded_allow_ips = ""

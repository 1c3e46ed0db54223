"""The TLS context every outbound httpx client of a process shares.

httpx builds a TLS context for each client it creates, loading the CA bundle each time (tens
of milliseconds of CPU apiece), even for clients that only ever speak plain HTTP to a
neighbouring service. A context is safe to share between clients, so each process builds one.
"""

import functools
import ssl

import httpx


@functools.cache
def shared_tls_context(*, trust_env: bool = False) -> ssl.SSLContext:
    """`trust_env`: whether `SSL_CERT_FILE`/`SSL_CERT_DIR` from the environment are honoured."""
    return httpx.create_ssl_context(trust_env=trust_env)

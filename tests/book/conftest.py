"""The built book, served from _build/html as a static host serves it (tools/serve_book.py)."""

from __future__ import annotations

import pytest

from tools import serve_book
from tools.serve_book import HTML


@pytest.fixture(scope="module")
def site() -> str:
    """The base URL of the built book on 127.0.0.1 (gzip like GitHub Pages)."""
    if not (HTML / "index.html").exists():
        pytest.fail("no built book in _build/html: run `python tools/build_book.py` (make test does) first")
    server, url = serve_book.start(HTML)
    yield url
    server.shutdown()
    server.server_close()

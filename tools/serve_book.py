"""Serve the built book the way a static host does: gzip for text, and a cache lifetime.

    python tools/serve_book.py [--port 8000] [--root _build/html]

Python's own `http.server` sends every file uncompressed, so page weights and
Lighthouse scores measured against it say nothing about the published site.
GitHub Pages (and most static hosts) gzip HTML, CSS, JavaScript, SVG and JSON on
the fly; this server does the same, so `make audit` measures what readers get.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"  # where `make book` puts the site

# What GitHub Pages compresses (text formats); images and fonts are already compressed.
COMPRESSIBLE = {".html", ".css", ".js", ".mjs", ".svg", ".json", ".txt", ".xml", ".ipynb", ".map", ".inv"}


class StaticHostHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with gzip for text formats and a 10-minute cache lifetime (as GitHub Pages)."""

    def log_message(self, *args) -> None:
        pass  # quiet: the audit prints its own table

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts_gzip and path.is_file() and path.suffix in COMPRESSIBLE):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _BytesFile(body)


class _BytesFile:
    """The file-like object SimpleHTTPRequestHandler copies to the socket."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        data, self._data = (self._data, b"") if size < 0 else (self._data[:size], self._data[size:])
        return data

    def close(self) -> None:
        pass


def start(root: Path, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``root`` on 127.0.0.1 in a background thread; returns the server and its base URL."""
    if not (root / "index.html").is_file():
        raise FileNotFoundError(f"{root} has no index.html: build the book first (make book)")
    handler = functools.partial(StaticHostHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--root", type=Path, default=HTML)
    args = parser.parse_args()
    server, url = start(args.root, args.port)
    print(f"serving {args.root} at {url} (gzip like a static host); Ctrl-C stops")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()

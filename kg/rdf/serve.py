"""kg serve: the Oxigraph SPARQL server, read-only on loopback, over a build's graph, with the build's pages beside it.

The graph file a build wrote is bulk-loaded into an Oxigraph store by Oxigraph's own loader
(``oxigraph load``, the PyPI package ``oxigraph``) the first time and whenever the file changes — unless
the build changed the store in place, by what it changed, while no server had it open; the
server (``oxigraph serve-read-only``) answers SPARQL 1.1 queries and refuses updates. One address
serves both: ``/sparql`` is handed to the Oxigraph server, every other path is a file of the build
folder (graph.html, views/, analysis/, reports/).
"""

from __future__ import annotations

import contextlib
import fcntl
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

GRAPH_FILES = ("graph.ttl", "graph.nt", "graph.nq", "graph.trig", "graph.jsonld")
STORE = ".kg-sparql"  # the served store, inside the build folder
SOURCE = "source"  # beside the store: the graph file it holds, by name, size and modification time
LOCK = "lock"  # held, shared, by every running server: a build changes the store only when it can hold it alone
PATH = "/sparql"
MAX_BODY = 16 << 20
START_TIMEOUT = 60.0


class ServeError(Exception):
    """The folder holds no graph, or the Oxigraph server could not start."""


def oxigraph_binary() -> str:
    """The ``oxigraph`` command of the PyPI package, next to this Python first."""
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise ServeError("the Oxigraph server is not installed (the PyPI package oxigraph provides it)")
    return found


def graph_file(folder: Path) -> Path:
    """The graph a build wrote into ``folder``: the newest, if builds in several formats left several."""
    found = [folder / name for name in GRAPH_FILES if (folder / name).is_file()]
    if not found:
        raise ServeError(f"{folder}: no graph file ({', '.join(GRAPH_FILES)}); build one with kg build -o {folder}")
    return max(found, key=lambda path: (path.stat().st_mtime_ns, path.name))


def source_stamp(path: Path) -> str:
    """A graph file by name, size and modification time (as git's index knows files): reading 4 GB to hash them
    would cost more than the change a build made."""
    status = path.stat()
    return f"{path.name} {status.st_size} {status.st_mtime_ns}"


def served_store(folder: Path) -> tuple[Path, Path]:
    """The store kg serve keeps for a build folder, and the stamp naming the graph file it holds."""
    home = folder / STORE
    return home / "store", home / SOURCE


@contextlib.contextmanager
def store_lock(folder: Path, exclusive: bool) -> Iterator[bool]:
    """Hold the served store's lock: shared by servers (waiting for a build that changes it), exclusive for a build
    (not waiting: a store being served is left as it is). Yields whether the lock is held."""
    home = folder / STORE
    home.mkdir(exist_ok=True)
    with open(home / LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_store(folder: Path, log=print) -> Path:
    """The store holding ``folder``'s graph, loaded again (into a new folder, then swapped in) if the graph changed
    since — unless the build that changed it changed the store too (:func:`kg.builder.stores.update_served_store`)."""
    source = graph_file(folder)
    store, stamp = served_store(folder)
    wanted = source_stamp(source)
    if store.is_dir() and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == wanted:
        return store
    store.parent.mkdir(exist_ok=True)
    staging = store.parent / "store.new"
    shutil.rmtree(staging, ignore_errors=True)
    log(f"loading {source} into the SPARQL store (oxigraph load)")
    done = subprocess.run([oxigraph_binary(), "load", "--location", str(staging), "--file", str(source)], capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise ServeError(f"{source}: oxigraph load failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}")
    stamp.unlink(missing_ok=True)
    shutil.rmtree(store, ignore_errors=True)
    staging.rename(store)
    stamp.write_text(wanted, encoding="utf-8")
    return store


OXIGRAPH_HOST = "127.0.0.1"  # the Oxigraph server itself is reached through the front only, whatever --host says


def family(host: str) -> socket.AddressFamily:
    """The address family of ``host`` (IPv6 for ::1); an address that cannot be resolved is a :class:`ServeError`."""
    try:
        return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]
    except (socket.gaierror, UnicodeError) as err:
        raise ServeError(f"cannot listen on {host!r}: {err}") from None


def free_port(host: str) -> int:
    with socket.socket(family(host)) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class Server:
    """The Oxigraph server process and the HTTP front serving the build folder; :meth:`start`, then :meth:`stop`."""

    def __init__(self, folder: str | Path, host: str = "127.0.0.1", port: int = 8000, sparql_port: int | None = None) -> None:
        self.folder = Path(folder).resolve()
        self.host, self.port = host, port
        self.sparql_port = sparql_port or free_port(OXIGRAPH_HOST)
        self.process: subprocess.Popen | None = None
        self.front: _Front | None = None
        self.held = contextlib.ExitStack()  # the store's lock, shared, while the server runs

    @property
    def url(self) -> str:
        return f"http://{self._netloc(self.port)}/"

    @property
    def endpoint(self) -> str:
        return f"http://{self._netloc(self.port)}{PATH}"

    @property
    def oxigraph_endpoint(self) -> str:
        return f"http://{OXIGRAPH_HOST}:{self.sparql_port}/query"

    def _netloc(self, port: int) -> str:
        return f"[{self.host}]:{port}" if ":" in self.host else f"{self.host}:{port}"

    def start(self, log=print) -> None:
        """Load the store if need be, start the Oxigraph server and the front; on any failure (Ctrl-C too) stop both."""
        try:
            self._start(log)
        except BaseException:
            self.stop()
            raise

    def _start(self, log) -> None:
        address_family = family(self.host)
        self.held.enter_context(store_lock(self.folder, exclusive=False))
        store = prepare_store(self.folder, log)
        self.process = subprocess.Popen(
            # the union of all graphs as the default graph: a TriG build's reports (one graph each) answer plain patterns,
            # as kg query on the file does
            [
                oxigraph_binary(),
                "serve-read-only",
                "--location",
                str(store),
                "--bind",
                f"{OXIGRAPH_HOST}:{self.sparql_port}",
                "--union-default-graph",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches kg, which stops the server in order
        )
        self._wait_ready()
        front = type("Front", (_Front,), {"address_family": address_family})
        try:
            self.front = front((self.host, self.port), _handler(self.folder, self.oxigraph_endpoint))
        except OSError as err:
            raise ServeError(f"cannot listen on {self._netloc(self.port)}: {err.strerror}") from None
        self.port = self.front.server_address[1]
        threading.Thread(target=self.front.serve_forever, name="kg-serve", daemon=True).start()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        probe = self.oxigraph_endpoint + "?query=" + urllib.parse.quote("ASK {}")
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode("utf-8", "replace").strip() if self.process.stderr else ""
                raise ServeError(f"the Oxigraph server stopped at start: {error or self.process.returncode}")
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise ServeError(f"the Oxigraph server did not answer on {self.oxigraph_endpoint} within {START_TIMEOUT:g} s")

    def stop(self) -> None:
        if self.front is not None:
            self.front.shutdown()
            self.front.server_close()
            self.front = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.held.close()


class _Front(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a reader that went away is no error
            super().handle_error(request, client_address)


def _handler(folder: Path, oxigraph: str) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        """The pages of the build folder; ``/sparql`` handed to the Oxigraph server (queries only: it is read-only).

        Nothing hidden is served — no path with a part that starts with a dot (the store, the build cache with
        the reports' texts, the lock), however the address is spelled — and no folder is listed.
        """

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def _is_sparql(self) -> bool:
            return self.path == PATH or self.path.startswith(PATH + "?")

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            if self._is_sparql():
                return self._forward(None)
            return super().do_GET()

        def send_head(self):
            served = Path(self.translate_path(self.path))  # decoded, with . and .. resolved, under the folder
            try:
                parts = served.relative_to(folder).parts
            except ValueError:
                parts = (".",)
            if any(part.startswith(".") for part in parts) or (served.is_dir() and not (served / "index.html").is_file()):
                self.send_error(404)
                return None
            return super().send_head()

        def do_POST(self) -> None:  # noqa: N802
            if not self._is_sparql():
                return self.send_error(405, "only " + PATH + " takes POST")
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                return self.send_error(400, "a query of 0 to 16 MB, with its Content-Length")
            return self._forward(self.rfile.read(length))

        def _forward(self, body: bytes | None) -> None:
            query = self.path[len(PATH) :]
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "content-type")}
            request = urllib.request.Request(oxigraph + query, data=body, headers=headers, method="POST" if body is not None else "GET")
            try:
                response = urllib.request.urlopen(request, timeout=600)
                status = response.status
            except urllib.error.HTTPError as err:
                response, status = err, err.code
            except (urllib.error.URLError, OSError):
                return self.send_error(502, "the Oxigraph server does not answer")
            with response:
                payload = response.read()
                self.send_response(status)
                self.send_header("Content-Type", response.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the signature http.server gives
            if os.environ.get("KG_SERVE_LOG"):
                super().log_message(format, *args)

    return Handler

"""The one download of the package: retried where a retry helps, verified before it is kept, and a
failure in one line naming the URL and the fix. A real HTTP server on localhost plays GitHub."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from ddlab.sources import assets, course_files
from ddlab.sources.course_files import FetchError, course_file, fetch

CONTENT = b"a course file"


@pytest.fixture
def server():
    """A local server answering from `server.replies` (status, headers) in turn, then 200 with CONTENT;
    `server.requests` lists the paths asked for."""
    replies, requests = [], []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            status, headers = replies.pop(0) if replies else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            body = CONTENT if status == 200 else b"no"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.url, httpd.replies, httpd.requests = f"http://127.0.0.1:{httpd.server_port}", replies, requests
    yield httpd
    httpd.shutdown()


def test_a_refused_request_is_retried_with_growing_pauses_and_the_servers_retry_after(server, tmp_path):
    server.replies.extend([(429, {"Retry-After": "7"}), (503, {}), (502, {})])
    pauses = []
    path = fetch(
        f"{server.url}/assets/x.pt", tmp_path / "x.pt", hashlib.sha256(CONTENT).hexdigest(), sleep=pauses.append
    )
    assert path.read_bytes() == CONTENT and len(server.requests) == 4
    assert pauses == [7.0, 4.0, 8.0]  # Retry-After first, then the back-off's 2nd and 3rd pauses


def test_what_a_retry_cannot_mend_fails_at_once_in_one_line_naming_the_url_and_the_fix(server, tmp_path):
    server.replies.append((404, {}))
    with pytest.raises(FetchError) as failure:
        fetch(f"{server.url}/assets/gone.pt", tmp_path / "gone.pt", sleep=pytest.fail)
    message = str(failure.value)
    assert message.startswith(f"ddlab: could not fetch {server.url}/assets/gone.pt (HTTP 404")
    assert "DDLAB_COURSE_URL" in message and "\n" not in message and not (tmp_path / "gone.pt").exists()


def test_retries_run_out_with_the_last_problem_named(server, tmp_path):
    server.replies.extend([(429, {})] * 3)
    with pytest.raises(FetchError, match=r"after 3 tries \(HTTP 429"):
        fetch(f"{server.url}/a.pt", tmp_path / "a.pt", attempts=3, sleep=lambda s: None)


def test_no_network_is_one_line_too(tmp_path):
    with pytest.raises(FetchError, match=r"could not fetch http://127.0.0.1:9/a.pt after 2 tries \(.*refused"):
        fetch("http://127.0.0.1:9/a.pt", tmp_path / "a.pt", attempts=2, sleep=lambda s: None)


def test_bytes_that_do_not_match_the_recorded_digest_are_never_kept(server, tmp_path):
    with pytest.raises(FetchError, match=r"does not match its recorded sha256"):
        fetch(f"{server.url}/a.pt", tmp_path / "a.pt", "0" * 64, sleep=pytest.fail)
    assert list(tmp_path.iterdir()) == []


def test_without_the_repository_a_reference_set_is_fetched_once_verified_and_then_read_from_the_cache(
    server, tmp_path, monkeypatch
):
    """What an installed ddlab does: no assets/ beside the package, the file fetched from the course's URL."""
    name = "dm_mnist_10"
    shipped = assets.ASSETS_DIR / f"{name}.pt"
    served = {f"/assets/{name}.pt": shipped.read_bytes()}

    class Files(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            server.requests.append(self.path)
            body = served.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server.RequestHandlerClass = Files
    monkeypatch.setattr(assets, "ASSETS_DIR", tmp_path / "no-clone")
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("DDLAB_COURSE_URL", server.url)
    loaded = assets.load(name)
    assert loaded.images.shape == (10, 1, 28, 28)
    assert assets.path(name) == tmp_path / "data" / "course" / "assets" / f"{name}.pt"
    assert server.requests == [f"/assets/{name}.pt"]  # once, not per use
    copy = tmp_path / "data" / "course" / "assets" / f"{name}.pt"
    copy.write_bytes(b"tampered")
    assert (
        course_file(f"assets/{name}.pt", assets.SHA256[name], in_clone=Path("/nowhere")).read_bytes()
        == shipped.read_bytes()
    )  # a bad copy is fetched again
    assert len(server.requests) == 2


def test_the_course_url_names_github_unless_a_mirror_is_set(monkeypatch):
    monkeypatch.delenv("DDLAB_COURSE_URL", raising=False)
    assert course_files.base_url() == "https://raw.githubusercontent.com/ddlab-course/ddlab/main"
    monkeypatch.setenv("DDLAB_COURSE_URL", "http://mirror.example/ddlab/")
    assert course_files.base_url() == "http://mirror.example/ddlab"

"""Two app replicas behind nginx (deploy/nginx.conf): each browser session stays on its replica.

The real proxy: Debian's nginx as a plain process on loopback, with the repository's config
(only the upstream servers, the listen address and the log and temp paths rewritten). Two
`streamlit run` replicas with the hosted caps; Chromium sessions with their own cookies until
both replicas have one; each trains the 2D lab for 30 s. Every HTTP response a session gets
names the same replica (X-Gancore-Replica), its websocket went there too (nginx's access
log), and its step counter keeps growing: the run it started is the run it sees.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.browser_helpers import (
    ROOT,
    exceptions,
    free_port,
    metric_value,
    settle,
    streamlit_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
)
TEMPLATE = ROOT / "deploy" / "nginx.conf"
REPLICAS = 2
TRAIN_SECONDS = 30  # about six readings of each session's step counter, 5 s apart
# Small on purpose: 2 replicas, their training workers and a browser share this box's cores.
REPLICA_ENV = {"GANCORE_HOSTED": "1", "GANCORE_WORKERS": "1"}


def nginx_config(upstreams: list[str], port: int, tmp: Path) -> str:
    """deploy/nginx.conf for loopback: these upstreams, this port, logs and temp files in tmp."""
    text = TEMPLATE.read_text()
    rewrites = [
        (r"(?m)^(\s*)server app:8501;", lambda m: "".join(f"{m[1]}server {u};" for u in upstreams)),
        (r"listen 80;", lambda m: f"listen 127.0.0.1:{port};"),
        (r"worker_processes auto;", lambda m: "worker_processes 1;"),
        (r"/dev/stdout", lambda m: str(tmp / "access.log")),
        (r"/dev/stderr", lambda m: str(tmp / "error.log")),
        (
            r"http \{\n",
            lambda m: (
                m[0]
                + "".join(
                    f"    {kind}_temp_path {tmp / kind};\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                )
            ),
        ),
    ]
    for pattern, repl in rewrites:
        text, n = re.subn(pattern, repl, text, count=1)
        assert n == 1, f"deploy/nginx.conf no longer has {pattern!r}: update this test"
    return text


def start_nginx(stack: ExitStack, upstreams: list[str], tmp: Path) -> str:
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_config(upstreams, port, tmp))
    directives = f"daemon off; pid {tmp / 'nginx.pid'};"
    if os.geteuid() == 0:  # workers would otherwise drop to `nobody`, locked out of tmp
        directives += " user root;"
    proc = subprocess.Popen(
        [NGINX, "-e", str(tmp / "error.log"), "-p", str(tmp), "-c", str(conf), "-g", directives],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    stack.callback(lambda: (proc.terminate(), proc.wait(10)))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return url
        except OSError:
            pass
        log = tmp / "error.log"
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"nginx did not start:\n{log.read_text() if log.exists() else ''}")
        time.sleep(0.2)


def start_replicas(stack: ExitStack, tmp: Path) -> list[str]:
    """`streamlit run` twice, started side by side (each warms up for a few seconds)."""
    servers = [streamlit_server(tmp / f"replica{i}.log", env=REPLICA_ENV) for i in range(REPLICAS)]
    with ThreadPoolExecutor(REPLICAS) as pool:
        futures = [pool.submit(s.__enter__) for s in servers]
    urls, error = [], None
    for server, future in zip(servers, futures, strict=True):
        try:
            urls.append(future.result())
            stack.push(server.__exit__)
        except Exception as err:  # noqa: BLE001 - stop the one that did start, then raise
            error = error or err
    if error:
        raise error
    return urls


@pytest.fixture(scope="module")
def nginx_binary():
    if NGINX is None:
        msg = "nginx is not installed (`make test` installs Debian's nginx with apt)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return NGINX


def test_each_session_stays_on_its_replica_through_half_a_minute_of_training(
    nginx_binary, tmp_path, browser
):
    with ExitStack() as stack:
        replica_urls = start_replicas(stack, tmp_path)
        upstreams = [u.removeprefix("http://") for u in replica_urls]
        proxy = start_nginx(stack, upstreams, tmp_path)

        # New visitors (no cookie) until every replica has one: a cheap request first, whose
        # cookie the browser context keeps, so a page is only loaded for a kept session.
        sessions: dict[str, object] = {}
        for _ in range(30):
            context = browser.new_context(viewport={"width": 1300, "height": 950})
            replica = context.request.get(f"{proxy}/_stcore/health").headers["x-gancore-replica"]
            if replica in sessions:
                context.close()
                continue
            sessions[replica] = context
            if len(sessions) == REPLICAS:
                break
        assert sorted(sessions) == sorted(upstreams), f"sessions only reached {sorted(sessions)}"

        runs = []
        for replica, context in sessions.items():
            page = context.new_page()
            seen: list[str | None] = []
            sockets: list[str] = []
            page.on(
                "response", lambda r, seen=seen: seen.append(r.headers.get("x-gancore-replica"))
            )
            page.on("websocket", lambda ws, sockets=sockets: sockets.append(ws.url))
            page.goto(f"{proxy}/lab-2d")
            settle(page, 60_000)
            runs.append((replica, context, page, seen, sockets))
        for _, _, page, _, _ in runs:
            page.get_by_role("button", name="Train").click()

        steps: dict[str, list[int]] = {replica: [] for replica in sessions}
        start = time.monotonic()
        while time.monotonic() - start < TRAIN_SECONDS:
            runs[0][2].wait_for_timeout(5000)
            for replica, _, page, _, _ in runs:
                text = metric_value(page, "step").inner_text(timeout=15_000)
                steps[replica].append(int(text.replace(",", "")))

        keys = {}
        for replica, context, page, seen, sockets in runs:
            history = steps[replica]
            assert history == sorted(history), f"{replica}: the step counter went back: {history}"
            assert history[-1] > history[len(history) // 2] > history[0], (
                f"{replica}: the run should keep training for {TRAIN_SECONDS} s: {history}"
            )
            assert not exceptions(page), exceptions(page)
            assert seen and set(seen) == {replica}, f"responses came from {set(seen)}"
            assert [s for s in sockets if s.endswith("/_stcore/stream")], sockets
            keys[replica] = next(
                c["value"] for c in context.cookies() if c["name"] == "gancore_replica"
            )
            context.close()  # nginx logs a websocket when it closes
        time.sleep(1)

        log = (tmp_path / "access.log").read_text()
        for replica, key in keys.items():
            lines = [line for line in log.splitlines() if f"key={key} " in line]
            assert {re.search(r"replica=(\S+)", line)[1] for line in lines} == {replica}, lines
            streams = [line for line in lines if "/_stcore/stream" in line and '" 101 ' in line]
            assert streams, f"no websocket of the session on {replica} in nginx's log:\n{lines}"
    print({replica: history[::3] for replica, history in steps.items()})

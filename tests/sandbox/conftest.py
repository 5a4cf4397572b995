import json
import os
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.app import PageServer
from bot.sandbox.runtime import Sandbox

# A Monday just before working hours, as a new sandbox starts; fixed so the story's dates are known.
START = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Europe/Oslo"))


@pytest.fixture
def sandbox(tmp_path: Any) -> Iterator[Sandbox]:
    sb = Sandbox(tmp_path / "sandbox-data", start_at=START).start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def page(sandbox: Sandbox) -> Iterator[PageServer]:
    server = PageServer(sandbox).start()
    try:
        yield server
    finally:
        server.stop()


class Api:
    """The page's side of the JSON API, over real HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        method = "GET" if data is None else "POST"
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=30) as response:
                return int(response.status), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def get(self, path: str) -> Any:
        status, data = self.call(path)
        assert status == 200, (path, status, data)
        return data

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        status, data = self.call(path, body or {})
        assert status == 200, (path, status, data)
        return data


@pytest.fixture
def api(page: PageServer) -> Api:
    return Api(page.url)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The sandbox always keeps its state in its own SQLite file: the PostgreSQL pass adds nothing here."""
    if not os.environ.get("MAL_TEST_POSTGRES_URL"):
        return
    skip = pytest.mark.skip(reason="the sandbox runs on its own SQLite file; covered by the SQLite pass")
    for item in items:
        if "tests/sandbox/" in str(item.fspath):
            item.add_marker(skip)

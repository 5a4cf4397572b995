"""One failing item must not stop everyone's messages: each is planned in a savepoint of its own.

A pair, action or person whose planning raises (bad data, a bug, a rule no date can meet) is undone on
its own, logged once with its key — never its content — counted by kind, and put off so that it does not
fail again on every tick; the rest of the tick goes on.
"""

import logging
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from storage.repo import Repo

# An item that failed is tried again this much later, not on every tick.
RETRY_FAILED_AFTER = timedelta(hours=1)

log = logging.getLogger("mal.planner")


class Guard:
    def __init__(self, repo: Repo, failed: Counter[str]) -> None:
        self.repo = repo
        self.failed = failed

    def __call__(self, kind: str, key: str, work: Callable[[], int], put_off: Callable[[], None] | None) -> int:
        try:
            with self.repo.isolated():
                return work()
        except Exception as exc:
            log.warning("planning %s %s failed (%s); skipped, the rest goes on", kind, key, type(exc).__name__)
            self.failed[kind] += 1
            if put_off is not None:
                try:
                    with self.repo.isolated():
                        put_off()
                except Exception as again:
                    log.warning("putting off %s %s failed too (%s)", kind, key, type(again).__name__)
            return 0

"""Where a profiled server spent its time: the functions of collapsed stacks, by own and by inclusive samples.

``python -m tests.bench --only latency --profile DIR`` has py-spy sample mal's server into DIR/latency.txt
(one line per distinct stack: ``frame;frame;… count``); ``python -m tests.bench.profile DIR/latency.txt``
then lists the functions that cost most. Idle threads (waiting on a lock, a socket or a sleep) are left out,
so the shares are of the time the process was working (py-spy is run with ``--gil``: only samples of a
thread holding the interpreter lock, i.e. running Python). ``--within`` narrows to the stacks through one
function, e.g. ``--within handle_mal`` for `/mal` alone.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

# Functions in which a thread waits rather than works (the wait itself is C code, so py-spy charges it to them).
IDLE = ("wait", "select", "poll", "readinto", "recv_into", "accept", "get", "join", "acquire")


def load(path: Path) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def idle(frame: str) -> bool:
    name = frame.partition(" (")[0].rsplit(".", 1)[-1]
    return name in IDLE and any(m in frame for m in ("threading.py", "queue.py", "socket.py", "selectors"))


def busy(stacks: Counter[tuple[str, ...]], within: str = "") -> Counter[tuple[str, ...]]:
    return Counter(
        {
            s: n
            for s, n in stacks.items()
            if s and not idle(s[-1]) and (not within or any(within in f.partition(" (")[0] for f in s))
        }
    )


def function(frame: str) -> str:
    """``name (path/to/file.py:123)`` without the line, so a function's samples add up."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def summary(stacks: Counter[tuple[str, ...]], top: int, match: str = "", within: str = "") -> str:
    work = busy(stacks, within)
    total = sum(work.values()) or 1
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for stack, n in work.items():
        own[function(stack[-1])] += n
        for name in {function(f) for f in stack}:
            inclusive[name] += n
    lines = [f"{total} busy samples of {sum(stacks.values())}", "", "inclusive %  own %  function"]
    shown = [(name, n) for name, n in inclusive.most_common() if match in name][:top]
    lines += [f"{100 * n / total:10.1f}  {100 * own[name] / total:5.1f}  {name}" for name, n in shown]
    lines += ["", "own %  function"]
    lines += [f"{100 * n / total:5.1f}  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="collapsed stacks written by py-spy --format raw")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only functions whose name or file contains this")
    parser.add_argument("--within", default="", help="only stacks through a function whose name contains this")
    args = parser.parse_args()
    print(summary(load(args.file), args.top, args.match, args.within))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The extraction child: ``python -m screening.ingest.worker MEMORY_MB``.

Reads requests from stdin and writes results to a private copy of stdout, each a pickle with an
8-byte length prefix. A plain subprocess rather than multiprocessing: it never re-imports the
caller's ``__main__`` (so library users need no ``if __name__ == "__main__"`` guard) and it is
not a fork of a process that may hold torch's threads.
"""

from __future__ import annotations

import os
import pickle
import resource
import struct
import sys
from typing import BinaryIO

_HEADER = struct.Struct("!Q")
# Transformations a caller may run here besides extraction, by "module:function": a fixed list,
# so the channel can never be used to run anything else.
ALLOWED = frozenset({"service.redact:clean_file"})


def send(stream: BinaryIO, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream: BinaryIO) -> object:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("extraction worker closed its pipe")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("extraction worker closed its pipe mid-message")
    return pickle.loads(data)


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):  # not permitted here: run without it rather than fail
        pass


def _limit_cpu(seconds: float) -> None:
    # CPU-time limit per task: the kernel stops a runaway parser even if it never yields.
    used = resource.getrusage(resource.RUSAGE_SELF)
    budget = int(used.ru_utime + used.ru_stime + seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (budget, hard))
    except (ValueError, OSError):
        pass


def main() -> None:
    memory_mb = int(sys.argv[1])
    # Keep the protocol channel private: library prints must not corrupt it.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    from .extract import extract_inline  # after the fd shuffle, so import-time prints are harmless

    _limit_memory(memory_mb)
    while True:
        try:
            message = receive(inp)
        except EOFError:
            return
        try:
            if isinstance(message, tuple) and len(message) == 4 and message[0] == "call":
                _, target, args, cpu_s = message
                _limit_cpu(cpu_s)
                result: object = _call(target, args)
            else:
                path, kind, limits = message  # type: ignore[misc]
                _limit_cpu(limits.ingest_timeout_s)
                result = extract_inline(path, kind, limits)
        except MemoryError:
            result = MemoryError()
        except Exception as exc:  # reported to the parent as a file problem, never a crash
            result = RuntimeError(f"{type(exc).__name__}: {exc}")
        send(out, result)


def _call(target: str, args: tuple[object, ...]) -> object:
    import importlib

    if target not in ALLOWED:
        raise PermissionError(f"{target} may not run in the worker")
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(*args)


if __name__ == "__main__":
    main()

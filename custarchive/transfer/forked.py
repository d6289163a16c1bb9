"""Work done in a forked child process: a second core for bulk reads.

``stream``: items produced in the child, streamed back in batches. Export reads
rows and opens their sealed values (AES-GCM, ~70,000 per 100,000 archives) in
the child while this process formats and writes what came before.
``Job``: one task run in the child beside this process's own (CSV from SQLite
writes half the archives there, ``export_split``).
The child inherits everything it needs through ``fork`` but must open its own
database connection (never the parent's); it exits when its work is done, when
the parent stops reading, or when the parent dies.
"""
from __future__ import annotations

import os
from typing import Callable, Iterator

from custarchive.errors import CustarchiveError

BATCH = 1000


def available() -> bool:
    import multiprocessing

    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


def stream(produce: Callable[[], Iterator], batch: int = BATCH) -> Iterator:
    """The items of ``produce()``, computed in a forked child; its errors are raised here."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(produce, sender, receiver, batch), daemon=True,
                            name="custarchive-read")
    child.start()
    sender.close()
    try:
        while True:
            kind, payload = receive(receiver, "the reading process")
            if kind == "end":
                return
            yield from payload
    finally:
        receiver.close()
        stop(child)


def _produce(produce: Callable[[], Iterator], sender, receiver, batch: int) -> None:
    receiver.close()
    try:
        items = []
        for item in produce():
            items.append(item)
            if len(items) >= batch:
                sender.send(("items", items))
                items = []
        if items:
            sender.send(("items", items))
        sender.send(("end", None))
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent stopped reading (or died): nothing left to do
    except Exception as exc:  # noqa: BLE001 - carried to the parent, which reports it
        _try_send(sender, carried(exc, "reading"))


def receive(connection, who: str) -> tuple:
    """A child's next ``(kind, payload)`` message; an error it carried (:func:`carried`) is raised
    here as the error it was, so the parent reports it like its own."""
    try:
        kind, payload = connection.recv()
    except EOFError:
        raise CustarchiveError(f"{who} ended unexpectedly") from None
    if kind == "error":
        error = CustarchiveError(payload[0])
        error.exit_code = payload[1]
        raise error
    return kind, payload


def carried(exc: Exception, what: str) -> tuple:
    """The message a child sends its parent for an error (a bug is carried too, as one line)."""
    if isinstance(exc, CustarchiveError):
        return "error", (exc.message, exc.exit_code)
    return "error", (f"{what} failed: {exc!r}", 1)


def stop(child, wait: float = 0.5) -> None:
    """Let a child whose pipe was closed leave for ``wait`` seconds, then kill it: none outlives its work."""
    child.join(timeout=wait)
    if child.is_alive():
        child.kill()
        child.join()


def _try_send(sender, message) -> None:
    try:
        sender.send(message)
    except (BrokenPipeError, ConnectionResetError):
        pass


class Job:
    """``work(ready)`` run once in a forked child, for a second core on one long task.

    The child calls ``ready()`` when it has reached a point this process must
    know about (``is_ready``); ``result`` waits for what ``work`` returned and
    raises the child's error here. ``close`` ends a child still running.
    """

    def __init__(self, work: Callable):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._child = context.Process(target=_run_job, args=(work, sender, self._receiver), daemon=True,
                                      name="custarchive-job")
        self._child.start()
        sender.close()
        self._ready = False

    def is_ready(self, wait: bool = False) -> bool:
        if not self._ready and (wait or self._receiver.poll()):
            self._ready = self._next()
        return self._ready

    def result(self):
        self.is_ready(wait=True)
        return self._next()

    def _next(self):
        return receive(self._receiver, "the helper process")[1]

    def close(self) -> None:
        self._receiver.close()
        stop(self._child)


def _run_job(work: Callable, sender, receiver) -> None:
    receiver.close()
    try:
        result = work(lambda: sender.send(("ready", True)))
        sender.send(("end", result))
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent stopped waiting (or died)
    except Exception as exc:  # noqa: BLE001 - carried to the parent, which reports it
        _try_send(sender, carried(exc, "the helper process"))

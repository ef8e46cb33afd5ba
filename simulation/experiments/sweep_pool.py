"""Where a sweep's tasks run, and how the parent tells a person about it (扫描的执行与进度).

- :class:`Pool`: a local process pool (renewed when it loses a worker: a worker killed by the OOM killer
  or by hand breaks a ``ProcessPoolExecutor`` for good, so its unfinished tasks are run again on a fresh
  pool — results depend only on the task, never on the process that ran it), a Dask cluster's executor,
  or an executor passed in (neither renewed: Dask retries lost tasks itself).
- :class:`Progress`: a rich bar on a terminal; plain lines on stderr when it is not one (a batch job's
  log), at each tenth of the work and at least every :data:`LINE_EVERY` seconds.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from scenarios.errors import InputError
from simulation.experiments.sweep_archive import SweepStatus

LINE_EVERY = 30.0
"""Seconds between two progress lines at most, when stderr is not a terminal."""


def watch_parent(pid: int, every: float = 1.0) -> None:
    """Worker initializer: exit when the sweep's parent is gone, so a killed sweep leaves no orphans.

    (A pool worker blocks on its task queue forever once its parent dies: it holds the queue's write end.)
    Ctrl-C is the parent's to handle: a worker ignores SIGINT (else every worker prints a traceback).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(every)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="linkage-parent-watch", daemon=True).start()


class Pool:
    """The executor of one sweep; ``with Pool(...) as pool`` — ``pool.executor``, ``pool.share(doc)``."""

    def __init__(self, workers: int, scheduler: str | None, executor: cf.Executor | None) -> None:
        self.workers, self.scheduler, self.given = workers, scheduler, executor
        self.executor: cf.Executor | None = executor
        self.client = None
        self.share: Callable[[dict], Any] = lambda doc: doc
        self.others: set = set()  # processes this process had started before the pool (never ours to kill)

    @property
    def renewable(self) -> bool:
        """Whether a broken pool can be replaced (the local one only)."""
        return self.given is None and not self.scheduler

    def __enter__(self) -> Pool:
        if self.given is not None:
            return self
        if self.scheduler:
            from dask.distributed import Client

            try:
                self.client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as e:
                raise InputError.one(
                    "--scheduler", None, "", f"cannot reach the Dask scheduler at '{self.scheduler}': {e}"
                ) from None
            client = self.client
            self.executor = client.get_executor(pure=False)
            # a future of the document, scattered once to every worker (in a list: scatter would split a dict)
            self.share = lambda doc: client.scatter([doc], broadcast=True, hash=False)[0]
            return self
        self.executor = self._local()
        return self

    def _local(self) -> cf.ProcessPoolExecutor:
        # forkserver: workers are forked from a clean server that has imported the sweep once, so they start
        # fast and never inherit the parent's threads (rich, dask) or locks.
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["simulation.experiments.sweep", "simulation.experiments.runner"])
        self.others = set(mp.active_children())
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=watch_parent,
                                      initargs=(os.getpid(),))

    def renew(self) -> None:
        """A fresh local pool in place of a broken one."""
        self._shutdown(kill=True)
        self.executor = self._local()

    def _shutdown(self, kill: bool) -> None:
        ex = self.executor
        if ex is None or self.given is not None:
            return
        if kill:  # the local workers, now (an interrupted sweep does not wait for running tasks)
            for p in set(mp.active_children()) - self.others:
                p.kill()
            # no cancel_futures here: the pool, broken by the kill, fails its pending futures from its own thread,
            # and cancelling them at the same time makes that thread die on InvalidStateError (CPython's
            # terminate_broken sets an exception on a cancelled future) — then shutdown never returns
            ex.shutdown(wait=True)
            return
        ex.shutdown(wait=True, cancel_futures=True)

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self.client is not None:
            self.client.close()
        else:
            self._shutdown(kill=kind is not None)


class Progress:
    """Progress of a sweep: ``progress`` None (a bar on a terminal, lines otherwise), True/False (bar or
    nothing), or a callable given a :class:`SweepStatus` after each task."""

    def __init__(self, progress: bool | Callable[[SweepStatus], None] | None, status: SweepStatus) -> None:
        from rich.console import Console

        self.status = status
        self.callback = progress if callable(progress) else None
        console = Console(stderr=True)
        terminal = console.is_terminal
        self.lines = progress is None and not terminal
        self.bar = self._bar(console, terminal if progress is None else progress is True)
        self.last_line = time.monotonic()
        self.last_tenth = self._tenth()
        self.started = time.monotonic()

    def _bar(self, console: Any, show: bool) -> Any:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        bar = Bar(TextColumn("sweep · replications"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  transient=False, disable=not show)
        return bar

    def text(self) -> str:
        s = self.status
        return f"points {s.points_done}/{s.points_total} done · {s.points_failed} failed"

    def _tenth(self) -> int:
        s = self.status
        return 10 * s.replications_done // max(s.replications_total, 1)

    def __enter__(self) -> Progress:
        self.bar.__enter__()
        self.task = self.bar.add_task("sweep", total=self.status.replications_total,
                                      completed=self.status.replications_done, status=self.text())
        if self.lines:
            self.line()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def line(self) -> None:
        s = self.status
        pct = 100 * s.replications_done // max(s.replications_total, 1)
        print(f"sweep: {s.replications_done}/{s.replications_total} replications ({pct} %) · {self.text()} · "
              f"{time.monotonic() - self.started:.0f} s", file=sys.stderr, flush=True)
        self.last_line = time.monotonic()

    def note(self, message: str) -> None:
        """A line a person must see whatever the display (a lost worker, a re-run part)."""
        if self.bar.disable:
            print(f"sweep: {message}", file=sys.stderr, flush=True)
        else:
            self.bar.console.print(f"sweep: {message}", markup=False, highlight=False)

    def update(self) -> None:
        self.bar.update(self.task, completed=self.status.replications_done, status=self.text())
        if self.lines:
            tenth = self._tenth()
            if tenth != self.last_tenth or time.monotonic() - self.last_line >= LINE_EVERY:
                self.last_tenth = tenth
                self.line()
        if self.callback is not None:
            self.callback(replace(self.status))

"""Fault injection: make a generation fail at a named stage, for tests and drills.

The service calls `checkpoint(stage)` at each stage; outside `fail_at` it
does nothing. Public so that tests exercise the real code path instead of
replacing private functions.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

# Stages, in the order a generation reaches them.
RULES = "rules"  # before the desired alerts are computed
MERGED = "merged"  # after the merge and its events, before the post-merge step
RECORDED = "recorded"  # while recording the successful run
STAGES = (RULES, MERGED, RECORDED)

_armed: ContextVar[dict[str, BaseException]] = ContextVar("alerts_generation_faults", default={})  # noqa: B039


@contextlib.contextmanager
def fail_at(stage: str, error: BaseException) -> Iterator[None]:
    """Within the block, every generation raises `error` when it reaches `stage`."""
    if stage not in STAGES:
        raise ValueError(f"unknown generation stage {stage!r}; one of {', '.join(STAGES)}")
    token = _armed.set({**_armed.get(), stage: error})
    try:
        yield
    finally:
        _armed.reset(token)


def checkpoint(stage: str) -> None:
    """Raise the error armed for `stage`, if any."""
    error = _armed.get().get(stage)
    if error is not None:
        raise error

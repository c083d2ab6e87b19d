"""Which sandboxed children may run at the same time, across every grading worker.

Two children that run at once can always signal to each other: a lock taken on a file both
can read, the CPU or memory one of them takes, and more. A sealed child holds reference code;
a child whose output is shown (own runs, training) runs student code only and reports back.
So a sealed child and a shown child never run at once, whosever submissions they belong to:
children are let in in the order they ask, several at once only while they are of one kind.
A child can also be let in alone: the rerun of one that ran out of time while another child
ran beside it (a classmate's processes can take the CPU it needed)."""
from __future__ import annotations

import multiprocessing
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

SHOWN, SEALED, ALONE = 1, 2, 3  # the kinds of child
_NEXT, _HEAD, _KIND, _ACTIVE, _ADMITTED = range(5)  # the shared state's fields


@dataclass
class Stay:
    """One child's time inside the gate; `overlapped` is known once it has left."""

    overlapped: bool = False  # another child ran at some moment while this one did


class Gate:
    """First come, first let in; a child waits until every child of another kind has left.
    Made before the workers are forked, so that all of them share it."""

    def __init__(self):
        mp = multiprocessing.get_context("fork")
        self._cond = mp.Condition()
        self._state = mp.RawArray("q", 5)  # next ticket, ticket let in next, kind inside, children inside, let in so far

    @contextmanager
    def enter(self, kind: int) -> Iterator[Stay]:
        s, stay = self._state, Stay()
        with self._cond:
            ticket = s[_NEXT]
            s[_NEXT] += 1
            self._cond.wait_for(lambda: s[_HEAD] == ticket and (s[_ACTIVE] == 0 or (s[_KIND] == kind != ALONE)))
            s[_HEAD] += 1
            s[_ACTIVE] += 1
            s[_KIND] = kind
            s[_ADMITTED] += 1
            mine, shared = s[_ADMITTED], s[_ACTIVE] > 1
            self._cond.notify_all()  # the next ticket may be of this kind too
        try:
            yield stay
        finally:
            with self._cond:
                s[_ACTIVE] -= 1
                stay.overlapped = shared or s[_ADMITTED] > mine
                self._cond.notify_all()

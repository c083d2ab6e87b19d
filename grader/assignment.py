"""An assignment: one rung of the ladder as `grade.py --rung N` grades it (rung 5, the default,
is today's microgpt assignment): the tasks it grades, how each is checked, the files a
submission provides and what its training run needs of them."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .tasks import LADDER_CHECK_RUNG, RUNG_TRAINS, RUNGS, Task, rung_task_ids, task

MICROGPT_RUNG = 5


@dataclass(frozen=True)
class Assignment:
    rung: int
    tasks: tuple  # the Tasks graded, in course order
    files: tuple  # (package, module) of every file a submission provides: the graded tasks' and the training's

    @property
    def title(self) -> str:
        """Its name in feedback and on the platforms."""
        return "microgpt" if self.rung == MICROGPT_RUNG else f"microgpt ladder, rung {self.rung} (train{self.rung}.py)"

    @property
    def task_ids(self) -> tuple:
        return tuple(t.id for t in self.tasks)

    @property
    def modules(self) -> tuple:
        """The submitted files' module names (unique within an assignment: ladder/sampling.py is
        rung 0's, microgpt/sampling.py rung 2's and 5's)."""
        return tuple(m for _, m in self.files)

    @property
    def packages(self) -> dict:
        """module -> the package its submitted file belongs to."""
        return {m: p for p, m in self.files}

    def by_ladder_checks(self, t: Task) -> bool:
        """Is the task graded by the ladder's checks here (exercises/tests/ladder_checks.py),
        not microgpt's probes? Ladder tasks always; linear at rung 1, on plain floats."""
        return LADDER_CHECK_RUNG.get(t.id) == self.rung

    @property
    def training_modules(self) -> tuple:
        return tuple(m for _, m in RUNG_TRAINS[self.rung])

    @property
    def training_tasks(self) -> tuple:
        """The graded tasks whose code the training run uses."""
        return tuple(t.id for t in self.tasks if t.module in self.training_modules)


@lru_cache(maxsize=None)
def assignment(rung: int = MICROGPT_RUNG) -> Assignment:
    if rung not in RUNGS:
        raise ValueError(f"no rung {rung}: the rungs are {RUNGS[0]}-{RUNGS[-1]}")
    tasks = tuple(task(i) for i in rung_task_ids(rung))
    files = tuple(dict.fromkeys([(t.package, t.module) for t in tasks] + list(RUNG_TRAINS[rung])))
    modules = [m for _, m in files]
    if len(set(modules)) != len(modules):
        raise ValueError(f"rung {rung}: two submitted files share a name: {files}")
    return Assignment(rung, tasks, files)

# Task $task ($points points): the public checks, as `pytest exercises -m $task` runs them.
# Your grade comes from the grader's own checks on fresh inputs, run on your answer cells.
from nbchecks import check

check("$task")

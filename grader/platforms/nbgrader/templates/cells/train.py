# Task e2e ($points points): a short training run of your whole package, to see that it learns.
# The graded run trains $graded_steps steps in the grader's sandbox, which evaluates the weights itself.
from nbchecks import check_training

check_training()

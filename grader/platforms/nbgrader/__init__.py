"""nbgrader: the course generator (course.py, `python -m grader nbgrader`), the autograde step that
scores with the kit's sandboxed grader (autograde.py), and the files a course is made from (templates/)."""

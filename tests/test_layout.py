"""The architecture the folders promise: what decides a score is hashed whole, the child
package is all a sandbox receives, one catalogue of modules, one command line."""
import ast
import shutil
import subprocess
import sys

from grader.cli import VERBS
from grader.core import engine
from grader.paths import GRADER, SOLUTIONS
from grader.tasks import MODULES, TASK_MODULES, requires


def _copy_code(tmp_path):
    """The grading code, copied: (core, child, tasks.py, markers.py, paths.py) under tmp_path."""
    code = []
    for p in engine.GRADING_CODE:
        dest = tmp_path / p.name
        (shutil.copytree if p.is_dir() else shutil.copyfile)(p, dest)
        code.append(dest)
    return tuple(code)


def test_a_new_grading_module_changes_the_cache_key(tmp_path):
    """Does adding a module to the trusted core or to the child package change the cache key,
    with no list to update?"""
    code = _copy_code(tmp_path)
    before = engine.grader_hash(code)
    assert engine.grader_hash(code) == before  # the key is stable
    for folder in (code[0], code[1]):  # core, child
        (folder / "new_check.py").write_text("THRESHOLD = 1\n")
        after = engine.grader_hash(code)
        assert after != before, f"a new module in {folder.name}/ left the cache key unchanged"
        before = after
    (code[0] / "new_check.py").write_text("THRESHOLD = 2\n")
    assert engine.grader_hash(code) != before


def test_the_core_and_the_child_are_what_the_key_covers():
    """Is every Python file of grader/core and grader/child part of the key?"""
    files = set(engine.grading_code_files())
    for folder in (GRADER / "core", GRADER / "child"):
        for path in folder.rglob("*.py"):
            assert path in files, path


def _microgpt_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.module or a.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 1 for a in node.names}


def test_module_catalogue_matches_the_reference_imports():
    """Does grader/tasks.py's MODULES list each reference module with exactly what it imports?"""
    on_disk = {p.stem for p in SOLUTIONS.glob("*.py")} - {"__init__"}
    assert {m.name for m in MODULES} == on_disk
    for m in MODULES:
        assert set(m.imports) == _microgpt_imports(SOLUTIONS / f"{m.name}.py"), m.name
    assert set(TASK_MODULES) <= on_disk
    assert requires("attention") == ("value", "nn", "attention")


def test_the_child_package_uses_the_standard_library_only():
    """Does nothing in grader/child (nor the public checks a ladder child receives beside it)
    import the grader, a third-party package or anything outside them and the standard library
    (a sandbox receives these files alone)?"""
    from grader.core.engine import PUBLIC_CHECKS

    public = [GRADER.parent / "exercises" / "tests" / name for name in PUBLIC_CHECKS]
    own = {p.stem for p in (GRADER / "child").glob("*.py")} | {p.stem for p in public}
    for path in [*(GRADER / "child").glob("*.py"), *public]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            for name in names:
                top = name.split(".")[0]
                assert top in own or top in sys.stdlib_module_names or top == "microgpt", f"{path.name}: {name}"


def test_help_lists_every_verb_and_each_verb_has_help():
    """Does `python -m grader --help` list every verb, and does each verb answer --help?"""
    out = subprocess.run([sys.executable, "-m", "grader", "--help"], capture_output=True, text=True, check=True).stdout
    for verb in VERBS:
        assert f"  {verb} " in out
        sub = subprocess.run([sys.executable, "-m", "grader", verb, "--help"], capture_output=True, text=True)
        assert sub.returncode == 0 and "usage: python -m grader " + verb in sub.stdout, (verb, sub.stderr[-500:])
    bad = subprocess.run([sys.executable, "-m", "grader", "grde"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown verb 'grde'" in bad.stderr


def test_grade_py_is_the_grade_verb():
    """Does `python grader/grade.py --help` still work as documented?"""
    out = subprocess.run([sys.executable, str(GRADER / "grade.py"), "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "usage: python grader/grade.py" in out.stdout and "--out" in out.stdout

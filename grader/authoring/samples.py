"""Generate the bundled sample submissions from the reference and small named changes.

Each sample is the reference's task files (solutions/microgpt/) with its changes, so none can
drift from the reference. The changes: mutants of the mutation catalogue
(tests/mutations/catalogue.py), named rather than repeated; tasks left as the skeleton's stub
(as in exercises/); patches longer than a line, in grader/authoring/sample_files/<sample>.toml. Files
a sample ships besides its task files (the hostile sample's conftest.py) are in
grader/authoring/sample_files/<sample>/. Every file written starts with a line that says where it
comes from.

    python -m grader samples OUT_DIR          # write OUT_DIR/<sample>/microgpt/<module>.py
    python -m grader samples --check OUT_DIR  # exit 1 if OUT_DIR differs from a fresh generation
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.authoring.generate_exercises import stub
from grader.authoring.mutation_report import Mutant, PatchError, load_catalogue, mutated_source
from grader.markers import MarkerError, replace_regions
from grader.paths import REPO, SOLUTIONS
from grader.tasks import TASK_MODULES, task

try:
    import tomllib  # Python 3.11+
except ImportError:  # Python 3.10: the same parser, a dependency there (pyproject.toml)
    import tomli as tomllib

FILES = Path(__file__).with_name("sample_files")  # patch files and extra files
VERB = "python -m grader samples"


@dataclass(frozen=True)
class Sample:
    name: str
    about: str  # what is wrong with it
    mutants: tuple = ()  # names in tests/mutations/catalogue.py
    stubs: tuple = ()  # task ids left as the skeleton's `raise NotImplementedError(...)`
    patch_file: bool = False  # FILES/<name>.toml holds more patches


SAMPLES = (
    Sample("reference", "the reference, unchanged"),
    Sample("wrong_gradient", "mul's local gradients swapped", mutants=("mul_grads_swapped",)),
    Sample("unstable_softmax", "softmax without the max subtraction", mutants=("softmax_without_max_subtraction",)),
    Sample("unimplemented", "sampling left as the skeleton's stub", stubs=("sampling",)),
    Sample("hostile", "ends its process, returns values equal to anything, patches math.isclose, "
           "tries to read the reference, ships a conftest.py and a pytest.ini", patch_file=True),
)


class SampleError(ValueError):
    """A sample whose changes no longer apply to the reference."""


def by_name(name: str) -> Sample:
    for s in SAMPLES:
        if s.name == name:
            return s
    raise SampleError(f"no sample {name!r}; the samples are {', '.join(s.name for s in SAMPLES)}")


def _patches(sample: Sample) -> list[tuple[str, str, str, str]]:
    """(file, old, new, where it comes from) of every patch of the sample."""
    catalogue = {m.name: m for m in load_catalogue()}
    out = []
    for name in sample.mutants:
        if name not in catalogue:
            raise SampleError(f"{sample.name}: no mutant {name!r} in tests/mutations/catalogue.py")
        out += [(catalogue[name].file, old, new, f"mutant {name} (tests/mutations/catalogue.py)")
                for old, new in catalogue[name].patches]
    if sample.patch_file:
        path = FILES / f"{sample.name}.toml"
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
            out += [(p["file"], p["old"], p["new"], f"the patches in {path.relative_to(REPO)}") for p in doc["patch"]]
        except (OSError, ValueError, KeyError) as e:  # TOMLDecodeError is a ValueError
            raise SampleError(f"{path}: {e!r}") from None
    return out


def _banner(sample: str, source: str) -> str:
    return f'# Sample "{sample}": generated from {source} by `{VERB}`: edit there, not here.\n'


def sample_files(sample: Sample) -> dict[str, str]:
    """{path inside the sample's folder: text} of one sample."""
    patches = _patches(sample)
    unknown = {file for file, *_ in patches} - {f"{m}.py" for m in TASK_MODULES}
    if unknown:
        raise SampleError(f"sample {sample.name}: patches {', '.join(sorted(unknown))}, not a task file")
    files = {}
    for module in TASK_MODULES:
        name, sources = f"{module}.py", [f"solutions/microgpt/{module}.py"]
        mine = [(old, new) for file, old, new, _ in patches if file == name]
        try:
            text = mutated_source(Mutant(sample.name, name, tuple(mine), hint=""))
            stubbed = [task(t) for t in sample.stubs if task(t).module == module]
            for t in stubbed:
                text = replace_regions(text, lambda r, t=t: [stub(t)], name, only=t.functions)
        except (PatchError, MarkerError, KeyError) as e:
            raise SampleError(f"sample {sample.name}: {e}") from None
        sources += sorted({why for file, _, _, why in patches if file == name})
        sources += [f"task {t.id} stubbed as in exercises/" for t in stubbed]
        files[f"microgpt/{name}"] = _banner(sample.name, " + ".join(sources)) + text
    extra = FILES / sample.name
    for path in sorted(extra.rglob("*")) if extra.is_dir() else ():
        if path.is_file() and "__pycache__" not in path.parts:
            files[str(path.relative_to(extra))] = _banner(sample.name, str(path.relative_to(REPO))) + path.read_text(encoding="utf-8")
    return files


def write(files: dict[str, str], out: Path) -> list[Path]:
    """Write {relative path: text} under out; returns the paths written."""
    written = []
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def all_files() -> dict[str, str]:
    """{"<sample>/<path>": text} of every sample."""
    return {f"{s.name}/{path}": text for s in SAMPLES for path, text in sample_files(s).items()}


def _on_disk(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(out.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def differences(*, out: Path) -> list[str]:
    """What in out differs from a fresh generation (empty: up to date)."""
    want = all_files()
    have = _on_disk(out) if out.is_dir() else {}
    names = {s.name for s in SAMPLES}
    diffs = [f"{n}: missing" for n in sorted(want.keys() - have.keys())]
    diffs += [f"{n}: differs from the generated sample" for n in sorted(want.keys() & have.keys()) if want[n] != have[n]]
    diffs += [f"{n}: not generated (remove it)" for n in sorted(have.keys() - want.keys()) if n.split("/")[0] in names]
    diffs += [f"{p.name}: not a sample (remove it)" for p in sorted(out.iterdir()) if p.name not in names] if out.is_dir() else []
    return diffs


def generate(*, out: Path) -> list[Path]:
    """Write every sample into out/<sample>/; remove files in those folders that are not generated.
    Returns the files written."""
    want = all_files()
    for s in SAMPLES:
        for rel in _on_disk(out / s.name) if (out / s.name).is_dir() else {}:
            if f"{s.name}/{rel}" not in want:
                (out / s.name / rel).unlink()
    return write(want, out)


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0],
                                epilog="samples: " + "; ".join(f"{s.name} ({s.about})" for s in SAMPLES))
    p.add_argument("out", type=Path, metavar="OUT_DIR", help="the folder to write (one sub-folder per sample)")
    p.add_argument("--check", action="store_true", help="only compare; exit 1 if OUT_DIR is stale")
    args = p.parse_args(argv)
    try:
        if args.check:
            diffs = differences(out=args.out)
            for d in diffs:
                print(f"stale: {args.out / d}", file=sys.stderr)
            if diffs:
                print(f"run: {VERB} {args.out}", file=sys.stderr)
            return 1 if diffs else 0
        written = generate(out=args.out)
    except SampleError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files of {len(SAMPLES)} samples in {args.out}: {', '.join(s.name for s in SAMPLES)}")
    return 0

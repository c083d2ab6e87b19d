"""Generate the bundled sample submissions from the reference and small named changes.

Each sample is the reference's files of the assignment (solutions/microgpt/, and for a rung
of the ladder the files it grades and trains with, from solutions/) with its changes, so none
can drift from the reference. The changes: mutants of the mutation catalogues
(tests/mutations/catalogue.py, ladder_catalogue.py), named rather than repeated; tasks left as
the skeleton's stub (as in exercises/); patches longer than a line, in
grader/authoring/sample_files/<sample>.toml. Files a sample ships besides its task files (the
hostile sample's conftest.py) are in grader/authoring/sample_files/<sample>/. Every file
written starts with a line that says where it comes from.

    python -m grader samples OUT_DIR            # write OUT_DIR/<sample>/microgpt/<module>.py
    python -m grader samples OUT_DIR --rung 0   # rung 0's samples: OUT_DIR/<sample>/ladder/counting.py ...
    python -m grader samples --check OUT_DIR    # exit 1 if OUT_DIR differs from a fresh generation
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import MICROGPT_RUNG, assignment
from grader.authoring.generate_exercises import stub
from grader.authoring.mutation_report import LADDER_CATALOGUE, Mutant, PatchError, load_catalogue, mutated_source
from grader.markers import MarkerError, replace_regions
from grader.paths import REPO
from grader.tasks import RUNGS, task

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
    mutants: tuple = ()  # names in tests/mutations/catalogue.py or ladder_catalogue.py
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
# Each rung of the ladder: its reference, a bug of one of its tasks, and a task left unwritten.
REFERENCE = SAMPLES[0]
LADDER_SAMPLES = {
    0: (REFERENCE, Sample("smoothing_plus_one", "sum(row) + 1 as the denominator", mutants=("probs_denominator_plus_one",)),
        Sample("unimplemented", "draw_name left as the skeleton's stub", stubs=("draw_name",))),
    1: (REFERENCE, Sample("gradient_sign", "softmax + cross-entropy's gradient p - 1 as 1 - p", mutants=("sce_sign",)),
        Sample("unimplemented", "numerical_gradient left as the skeleton's stub", stubs=("numerical_gradient",))),
    2: (REFERENCE, Sample("wrong_gradient", "mul's local gradients swapped", mutants=("mul_grads_swapped",)),
        Sample("unimplemented", "sgd_step left as the skeleton's stub", stubs=("sgd_step",))),
    3: (REFERENCE, Sample("unscaled_attention", "the head's scores not divided by sqrt(n_embd)", mutants=("head_not_scaled",)),
        Sample("unimplemented", "rmsnorm left as the skeleton's stub", stubs=("rmsnorm",))),
    4: (REFERENCE, Sample("every_head_reads_head_0", "every head weights head 0's values",
                          mutants=("attention_every_head_reads_head_0_values",)),
        Sample("unimplemented", "attention left as the skeleton's stub", stubs=("attention",))),
}


def samples_of(rung: int = MICROGPT_RUNG) -> tuple:
    if rung not in RUNGS:
        raise SampleError(f"no rung {rung}: the rungs are {RUNGS[0]}-{RUNGS[-1]}")
    return SAMPLES if rung == MICROGPT_RUNG else LADDER_SAMPLES[rung]


class SampleError(ValueError):
    """A sample whose changes no longer apply to the reference."""


def by_name(name: str, rung: int = MICROGPT_RUNG) -> Sample:
    for s in samples_of(rung):
        if s.name == name:
            return s
    raise SampleError(f"no sample {name!r}; the samples are {', '.join(s.name for s in samples_of(rung))}")


def catalogue() -> dict:
    """mutant name -> (its file under solutions/, the Mutant, the catalogue it is in), of both catalogues."""
    found = {m.name: (f"microgpt/{m.file}", m, "tests/mutations/catalogue.py") for m in load_catalogue()}
    found.update({m.name: (m.file, m, "tests/mutations/ladder_catalogue.py") for m in load_catalogue(LADDER_CATALOGUE)})
    return found


def _patches(sample: Sample) -> list[tuple[str, str, str, str]]:
    """(file under solutions/, old, new, where it comes from) of every patch of the sample."""
    mutants = catalogue() if sample.mutants else {}
    out = []
    for name in sample.mutants:
        if name not in mutants:
            raise SampleError(f"{sample.name}: no mutant {name!r} in tests/mutations/")
        file, mutant, where = mutants[name]
        out += [(file, old, new, f"mutant {name} ({where})") for old, new in mutant.patches]
    if sample.patch_file:  # patches of microgpt's files
        path = FILES / f"{sample.name}.toml"
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
            out += [(f"microgpt/{p['file']}", p["old"], p["new"], f"the patches in {path.relative_to(REPO)}")
                    for p in doc["patch"]]
        except (OSError, ValueError, KeyError) as e:  # TOMLDecodeError is a ValueError
            raise SampleError(f"{path}: {e!r}") from None
    return out


def _banner(sample: str, source: str) -> str:
    return f'# Sample "{sample}": generated from {source} by `{VERB}`: edit there, not here.\n'


def sample_files(sample: Sample, rung: int = MICROGPT_RUNG) -> dict[str, str]:
    """{path inside the sample's folder: text} of one sample of the rung."""
    patches = _patches(sample)
    graded = [f"{package}/{module}.py" for package, module in assignment(rung).files]
    unknown = {file for file, *_ in patches} - set(graded)
    if unknown:
        raise SampleError(f"sample {sample.name}: patches {', '.join(sorted(unknown))}, not a file of the assignment")
    files = {}
    for name, (package, module) in zip(graded, assignment(rung).files):
        sources = [f"solutions/{name}"]
        mine = [(old, new) for file, old, new, _ in patches if file == name]
        try:
            text = mutated_source(Mutant(sample.name, name, tuple(mine), hint=""), root=REPO / "solutions")
            stubbed = [task(t) for t in sample.stubs if (task(t).package, task(t).module) == (package, module)]
            for t in stubbed:
                text = replace_regions(text, lambda r, t=t: [stub(t)], name, only=t.functions)
        except (PatchError, MarkerError, KeyError) as e:
            raise SampleError(f"sample {sample.name}: {e}") from None
        sources += sorted({why for file, _, _, why in patches if file == name})
        sources += [f"task {t.id} stubbed as in exercises/" for t in stubbed]
        files[name] = _banner(sample.name, " + ".join(sources)) + text
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


def all_files(rung: int = MICROGPT_RUNG) -> dict[str, str]:
    """{"<sample>/<path>": text} of every sample of the rung."""
    return {f"{s.name}/{path}": text for s in samples_of(rung) for path, text in sample_files(s, rung).items()}


def _on_disk(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(out.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def differences(*, out: Path, rung: int = MICROGPT_RUNG) -> list[str]:
    """What in out differs from a fresh generation (empty: up to date)."""
    want = all_files(rung)
    have = _on_disk(out) if out.is_dir() else {}
    names = {s.name for s in samples_of(rung)}
    diffs = [f"{n}: missing" for n in sorted(want.keys() - have.keys())]
    diffs += [f"{n}: differs from the generated sample" for n in sorted(want.keys() & have.keys()) if want[n] != have[n]]
    diffs += [f"{n}: not generated (remove it)" for n in sorted(have.keys() - want.keys()) if n.split("/")[0] in names]
    diffs += [f"{p.name}: not a sample (remove it)" for p in sorted(out.iterdir()) if p.name not in names] if out.is_dir() else []
    return diffs


def generate(*, out: Path, rung: int = MICROGPT_RUNG) -> list[Path]:
    """Write every sample of the rung into out/<sample>/; remove files in those folders that are
    not generated. Returns the files written."""
    want = all_files(rung)
    for s in samples_of(rung):
        for rel in _on_disk(out / s.name) if (out / s.name).is_dir() else {}:
            if f"{s.name}/{rel}" not in want:
                (out / s.name / rel).unlink()
    return write(want, out)


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0],
                                epilog="samples: " + "; ".join(f"{s.name} ({s.about})" for s in SAMPLES))
    p.add_argument("out", type=Path, metavar="OUT_DIR", help="the folder to write (one sub-folder per sample)")
    p.add_argument("--rung", type=int, choices=RUNGS, default=MICROGPT_RUNG,
                   help="the samples of a rung 0-4 of the ladder (grade them with grade.py --rung N), or 5 (default)")
    p.add_argument("--check", action="store_true", help="only compare; exit 1 if OUT_DIR is stale")
    args = p.parse_args(argv)
    try:
        if args.check:
            diffs = differences(out=args.out, rung=args.rung)
            for d in diffs:
                print(f"stale: {args.out / d}", file=sys.stderr)
            if diffs:
                print(f"run: {VERB} {args.out}", file=sys.stderr)
            return 1 if diffs else 0
        written = generate(out=args.out, rung=args.rung)
    except SampleError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    made = samples_of(args.rung)
    print(f"wrote {len(written)} files of {len(made)} samples in {args.out}: {', '.join(s.name for s in made)}")
    return 0

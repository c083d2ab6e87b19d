"""The program a sandboxed child runs: build microgpt from what the grader put in the job
folder (the student's files, the kit's skeleton modules and, in a sealed check, reference
stand-ins), run one task's probes (or the end-to-end training), write the outputs as JSON.

    python -I -B main.py REQUEST.json RESULT_FD

Runs under CPython or PyPy 3.8+, standard library only. It never sees expected values; the
grader compares in its own process. The result goes to RESULT_FD, never to stdout, which
is captured only for feedback (and, in a sealed check, not kept at all). The end-to-end run
returns its weights every `every` steps: the grader replays each interval with the reference.
"""
import gc
import importlib
import importlib.util
import json
import math
import os
import sys
import time
import types

_dumps, _write, _exit = json.dumps, os.write, os._exit  # before any student code runs


def send(fd, doc):
    data = _dumps(doc, allow_nan=False).encode("utf-8")
    while data:
        n = _write(fd, data)
        data = data[n:]


def load_student(job, package, module):
    """The student's <module>.py (job/student/), as a module inside the package (for its relative imports)."""
    path = os.path.join(job, "student", module + ".py")
    spec = importlib.util.spec_from_file_location("%s._student_%s" % (package, module), path)
    student = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = student
    spec.loader.exec_module(student)
    return student


def graft(job, package, module, functions, trusted=()):
    """The trusted <package>.<module> with only the graded functions replaced by the student's,
    rebound so that inside them the module's classes, and the `trusted` functions (other tasks'
    in the same file), are the trusted ones: each task in isolation."""
    ref = importlib.import_module(package + "." + module)
    student = load_student(job, package, module)
    env = dict(vars(student))
    for name, value in vars(ref).items():
        if (isinstance(value, type) and getattr(value, "__module__", "") == ref.__name__) or name in trusted:
            env[name] = value
    rebound = {}
    for qualname in functions:
        owner, _, name = qualname.rpartition(".")
        source = vars(getattr(student, owner, object)) if owner else vars(student)
        fn = source.get(name)
        if not isinstance(fn, types.FunctionType):
            raise AttributeError("%s is missing from %s.py (or is not a function)" % (qualname, module))
        new = types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__, fn.__closure__)
        rebound[qualname] = new
        if not owner:
            env[name] = new
    for qualname, new in rebound.items():
        owner, _, name = qualname.rpartition(".")
        setattr(getattr(ref, owner) if owner else ref, name, new)
    return ref


def modules(names):
    ns = types.SimpleNamespace()
    for name in names:
        setattr(ns, name, importlib.import_module("microgpt." + name))
    return ns


def run_task(job, request):
    import probes

    if request.get("graft"):  # a value task: the student's function on the trusted Value
        graft(job, "microgpt", "value", request["functions"])
    mg = modules(request["imports"])
    return {"outputs": probes.PROBES[request["task"]](mg, request["inputs"])}


def run_ladder(job, request):
    """A ladder task's checks (ladder_probe.py) on the student's ladder and microgpt packages."""
    import ladder_checks
    import ladder_probe

    mg = importlib.import_module("microgpt")
    for name in ("config", "value", "nn"):
        importlib.import_module("microgpt." + name)
    if request.get("graft"):  # the student's functions of the task on the trusted rest of their file
        graft(job, request["package"], request["module"], request["functions"], request["trusted"])
    return ladder_probe.run_task(request["task"], request["inputs"], ladder_checks.import_ladder(), mg)


def run_ladder_e2e(job, request):
    """Train a ladder rung (0-4) as ladder/train.py does, with the student's files and the
    kit's rungs.py; return its weights (rung 0: its counts) every `every` steps."""
    import random

    cfg = request["e2e"]
    deadline = time.monotonic() + cfg["budget_s"]
    data = importlib.import_module("microgpt.data")
    r = importlib.import_module("ladder.rungs").rung(cfg["rung"])
    tc = r.train_config(num_steps=cfg["steps"], seed=cfg["seed"])
    rng = random.Random(cfg["seed"])
    docs = data.shuffled(data.load_docs(os.path.join(job, "data", "names.txt")), rng)
    tokenizer = data.Tokenizer.from_docs(docs)
    model = r.new_model(r.config(tokenizer.vocab_size), rng)
    train_docs = [tokenizer.encode(d) for d in data.split(docs, tc.num_val)[0]]
    return train(r.new_step(model, tc), train_docs, cfg, deadline, lambda: weights_of(model), tokenizer)


def run_e2e(job, request):
    """Train the student's package as the kit's train loop does; return the weights."""
    import random

    cfg = request["e2e"]
    deadline = time.monotonic() + cfg["budget_s"]
    mg = modules(["config", "data", "model", "adam", "value"])
    rng = random.Random(cfg["seed"])
    docs = mg.data.shuffled(mg.data.load_docs(os.path.join(job, "data", "names.txt")), rng)
    tokenizer = mg.data.Tokenizer.from_docs(docs)
    model = mg.model.GPT.init(mg.config.GPTConfig(vocab_size=tokenizer.vocab_size), rng)
    tc = mg.config.TrainConfig()
    train_docs = [tokenizer.encode(d) for d in mg.data.split(docs, tc.num_val)[0]]
    optimizer = mg.adam.Adam(model.params, tc.learning_rate, tc.beta1, tc.beta2, tc.eps_adam)

    def one_name(tokens, step, steps):
        step_losses = model.token_losses(tokens)
        loss = (1 / len(step_losses)) * sum(step_losses)
        loss.backward()
        optimizer.step(step, steps)
        return loss.data

    return train(one_name, train_docs, cfg, deadline, lambda: weights_of(model), tokenizer)


def train(one_name, train_docs, cfg, deadline, weights, tokenizer):
    """one_name(tokens, step, steps) -> loss, for each step, on name step % len(train_docs),
    until the steps are done, the loss is not finite or the deadline passes; weights() every
    `every` steps and at the end (the grader replays every interval)."""
    import probes

    steps, stopped, losses, checkpoints = cfg["steps"], "", [], []
    every = cfg.get("every") or steps
    # CPython: a Value graph has no cycles, so reference counting frees it and the cyclic
    # collector's scans only cost time. PyPy has no reference counting: its own GC is best
    # left alone (disabling it is 2.5x slower, a collection per step 15% slower).
    cpython = sys.implementation.name == "cpython"
    if cpython:
        gc.disable()
    for step in range(steps):
        loss = probes.num(one_name(train_docs[step % len(train_docs)], step, steps), "loss")
        losses.append(loss)
        if cpython:
            gc.collect(0)
        if not (type(loss) in (int, float) and math.isfinite(loss)):
            stopped = "training diverged: the loss was %s at step %d" % (loss, step + 1)
        elif time.monotonic() > deadline:
            stopped = "the time budget ran out after %d of %d steps" % (step + 1, steps)
        if stopped or (step + 1) % every == 0 or step + 1 == steps:
            checkpoints.append([step + 1, weights()])
        if stopped:
            break
    return {"checkpoints": checkpoints, "uchars": "".join(tokenizer.uchars), "steps_done": len(losses),
            "stopped": stopped, "losses_tail": losses[-100:], "implementation": sys.implementation.name}


def weights_of(model):
    """The weights as plain numbers: {name: matrix}, or {"counts": table} for rung 0's."""
    import probes

    state = model.state_dict
    if type(state) is list:
        return {"counts": [[probes.num(c, "count") for c in row] for row in state]}
    return {k: [[probes.num(getattr(p, "data", p), "weight") for p in row] for row in mat] for k, mat in state.items()}


def main():
    request_path, fd = sys.argv[1], int(sys.argv[2])
    job = os.path.dirname(os.path.abspath(request_path))
    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)
    sys.path[:0] = [os.path.join(job, "pkg"), job]
    import no_exec

    try:
        no_exec.forbid_exec()  # before any student code: no program but this interpreter
    except OSError:
        pass  # a kernel that refuses seccomp filters: the README says what is then not bounded
    if request.get("sealed"):
        import probes

        probes.SEALED_FILE = os.path.join(job, request["student_file"])
    try:
        run = {"e2e": run_e2e, "ladder": run_ladder, "ladder_e2e": run_ladder_e2e}.get(request["mode"], run_task)
        doc = run(job, request)
    except BaseException as e:  # an import that fails, sys.exit at import, ...
        import probes

        doc = {"error": probes.error_text(e)}
    send(fd, doc)
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:
            pass
    _exit(0)  # no atexit handlers, no finalizers: nothing of the student's runs after this


if __name__ == "__main__":
    main()

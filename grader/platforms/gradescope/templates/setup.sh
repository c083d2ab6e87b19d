#!/usr/bin/env bash
# Gradescope runs this once, as root and with the network, while it builds the autograder
# image; the zip is unpacked in $AUTOGRADER_ROOT/source (/autograder/source on Gradescope).
# AUTOGRADER_OFFLINE=1 skips the package installs (the kit's own test runs it that way).
#
# What the base images have (Ubuntu 22.04 is Gradescope's default; 24.04 works the same way):
# - the grader needs CPython 3.10+ and a TOML parser: 22.04's python3 is 3.10 (tomllib came in
#   3.11, so python3-tomli), 24.04's is 3.12. 22.04's python3.11 package is a 3.11.0 release
#   candidate: it is never chosen (a final release is required below).
# - pypy3 runs the training ~4x faster: 22.04's is PyPy 7.3.9, a Python 3.8, 24.04's a 3.9;
#   what runs under it (the kit's child package and microgpt) keeps to Python 3.8.
# - bubblewrap hides the file system and the network from student code.
# Only python3 is required; the grader says in results.json what else it got.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"

if [ "${AUTOGRADER_OFFLINE:-0}" != "1" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends python3
    for pkg in python3-tomli pypy3 bubblewrap; do
        apt-get install -y --no-install-recommends "$pkg" \
            || echo "setup.sh: $pkg is not packaged for this image; going on without it"
    done
    # python3 3.10 without a packaged tomli: the same parser from PyPI.
    if ! python3 -c 'import tomllib' 2>/dev/null && ! python3 -c 'import tomli' 2>/dev/null; then
        apt-get install -y --no-install-recommends python3-pip && python3 -m pip install 'tomli>=1.1' \
            || echo "setup.sh: tomli could not be installed"
    fi
fi

# The newest final CPython 3.10+ that can read TOML (tomllib, or tomli on 3.10).
CHECK='import sys
ok = sys.version_info >= (3, 10) and sys.version_info.releaselevel == "final"
try:
    import tomllib
except ImportError:
    try:
        import tomli
    except ImportError:
        ok = False
sys.exit(0 if ok else 1)'
PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -E -s -c "$CHECK" 2>/dev/null; then
        PYTHON="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    echo "setup.sh: the grader needs a final release of CPython 3.10 or newer with tomllib or tomli" \
         "(Ubuntu 22.04: apt-get install python3 python3-tomli)" >&2
    exit 1
fi
echo "$PYTHON" > "$SOURCE/.python"
echo "setup.sh: the grader runs under $("$PYTHON" -c 'import sys; print(sys.version.split()[0])') ($PYTHON)"
(cd "$SOURCE" && "$PYTHON" -E -s -m grader gradescope selfcheck --root "$ROOT")

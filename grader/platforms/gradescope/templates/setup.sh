#!/usr/bin/env bash
# Gradescope runs this once, as root and with the network, while it builds the autograder
# image; the zip is unpacked in $AUTOGRADER_ROOT/source (/autograder/source on Gradescope).
# AUTOGRADER_OFFLINE=1 skips the package installs (the kit's own test runs it that way).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"

if [ "${AUTOGRADER_OFFLINE:-0}" != "1" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends python3
    # python3.11+: the grader needs it (Ubuntu 22.04's python3 is 3.10); pypy3: the
    # end-to-end training runs ~10x faster; bubblewrap: hides the file system and the network
    # from student code. Each is optional: the grader says in results.json what it got.
    for pkg in python3.12 python3.11 pypy3 bubblewrap; do
        apt-get install -y --no-install-recommends "$pkg" \
            || echo "setup.sh: $pkg is not packaged for this image; going on without it"
    done
fi

PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        PYTHON="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    echo "setup.sh: the grader needs Python 3.11 or newer; choose a newer base image" >&2
    exit 1
fi
echo "$PYTHON" > "$SOURCE/.python"
(cd "$SOURCE" && "$PYTHON" -E -s -m grader gradescope selfcheck --root "$ROOT")

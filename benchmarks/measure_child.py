"""Run one command and write its wall time and peak memory as JSON to a file.

    python measure_child.py RESULT.json COMMAND [ARGS...]

Why a wrapper: on Linux a child's ``ru_maxrss`` starts from the high-water
mark of the memory it was spawned from (``exec`` keeps the old image's
peak), so a command spawned straight from the benchmark, whose fakes and
worlds hold a few hundred MB, would report the benchmark's size, not its
own; ``RUSAGE_CHILDREN`` is a maximum over all children, so deltas of it
say nothing either. This small interpreter spawns the command
(``posix_spawn``) and reaps it with ``os.wait4``, whose rusage is that very
child's; the floor of the measurement is this wrapper's own size (about
8 MB, written as ``floor_kb``), far below any deploygate process.

Wall time runs from the spawn to the reaping, so the wrapper's own start
is not in it. The child inherits stdin, stdout and stderr; the wrapper
exits with the child's exit code.
"""

import json
import os
import sys
import time
from pathlib import Path


def own_peak_kb() -> int | None:
    """This process's own high-water mark (VmHWM), which a spawned child starts from."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main() -> int:
    result, argv = sys.argv[1], sys.argv[2:]
    floor_kb = own_peak_kb()
    started = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _pid, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    numbers = {"wall": wall, "maxrss_kb": usage.ru_maxrss, "floor_kb": floor_kb}
    Path(result).write_text(json.dumps(numbers), encoding="utf-8")
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())

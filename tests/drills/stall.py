"""`python -m tests.drills.stall worker ...`: the real `casework worker`, except that the
function named by CASEWORK_DRILL_STALL ("module:name") waits there, once it is reached, to
be killed: it touches the file CASEWORK_DRILL_STALLED and sleeps. A drill uses it to kill -9
a worker at an exact point of a job (claims written but not committed, a PDF half laid
out), which timing alone would hit only by luck."""

import importlib
import os
import sys
import time

module_name, _, name = os.environ["CASEWORK_DRILL_STALL"].partition(":")
module = importlib.import_module(module_name)


def _stall(*args, **kwargs):
    open(os.environ["CASEWORK_DRILL_STALLED"], "w").close()
    time.sleep(3600)


setattr(module, name, _stall)

from casework.cli import main  # noqa: E402

sys.argv = ["casework", *sys.argv[1:]]
main()

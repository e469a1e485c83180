"""Child processes that Ctrl+C reaches as it reaches a program in a terminal."""
from __future__ import annotations

import signal


def ctrl_c_reaches_python() -> None:
    """``preexec_fn`` for a child that a test interrupts with SIGINT: a shell starts a background
    job with SIGINT ignored, the child inherits that, and Python then never raises
    KeyboardInterrupt. Our programs rightly keep an ignore they were given (``nohup``, ``&``);
    the test wants the terminal's case, so the child starts with the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)

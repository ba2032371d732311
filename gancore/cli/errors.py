"""The command line's exit codes and the errors a user's input causes."""

from __future__ import annotations

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """An error caused by the user's input: reported as one paragraph, exit code 1."""


class UsageError(UserError):
    """A bad command-line value (e.g. --set train.r1_gamma=-1): one line, exit code 2."""

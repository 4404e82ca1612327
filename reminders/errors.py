"""The errors the command line turns into an exit status and one line on stderr.

ReminderError            exit 1: the command could not do its work
└── BadInput             exit 2: a setting, an argument or an input file is wrong
"""

from __future__ import annotations


class ReminderError(Exception):
    exit_code = 1


class BadInput(ReminderError):
    exit_code = 2

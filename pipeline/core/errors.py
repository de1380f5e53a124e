"""The one base class for errors a user can fix (bad config, missing or bad input files).

The CLI prints their message, which names the file or key and the fix, without a traceback;
anything else is a bug and keeps its traceback.
"""


class RunlabError(Exception):
    """An input or configuration problem, phrased for the person who can fix it."""


class ConfigError(RunlabError, ValueError):
    """A configuration problem, phrased for the person who wrote the config."""

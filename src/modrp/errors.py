"""One exception type for every problem a user can fix in their inputs or config.

The CLI and the Snakemake scripts print its message alone (no traceback), so a
message must name the file or field and say what was expected.
"""


class InputError(Exception):
    """A config value or input file is not what the pipeline expects."""


class ConfigError(InputError):
    """The configuration violates the schema or is inconsistent."""

"""The few domain exceptions of `registry`.

Library functions raise these; only the command line turns them into one line on
stderr and exit status 2. Each carries enough to name the file, the place in it and
the problem, so that the message is useful without a traceback.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base class of every error `registry` raises on purpose."""


class SpecError(RegistryError):
    """A spec (or config, or checkpoint) file that cannot be read, parsed or validated.

    ``path`` is the file, ``line`` the 1-based line where the problem was found (or
    None), ``location`` the dotted field name (or "" for the file as a whole), and
    ``message`` what is wrong. ``str()`` gives the one line the CLI prints:
    ``file:line: field: problem``.
    """

    def __init__(self, path: str, location: str, message: str, line: int | None = None):
        self.path = str(path)
        self.location = location
        self.message = message
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.location}: {self.message}" if self.location else f"{where}: {self.message}"


class SpecErrors(SpecError):
    """Several problems found in one spec file at once: one :class:`SpecError` each, in file order.

    Behaves as its first error (``path``, ``location``, ``message``, ``line``); ``errors``
    holds them all, and the command line prints one line per error.
    """

    def __init__(self, errors: list[SpecError]):
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.path, first.location, first.message, first.line)


class UnmappedModelTypeError(SpecError):
    """A config.json whose model type no installed plugin maps: its architecture cannot be
    built, though a checkpoint's headers can still be counted (``registry count``).
    ``model_type`` is the config's value."""

    model_type: object = None


class UnknownFamilyError(RegistryError):
    """A family name that no installed plugin registers; ``suggestions`` are the closest names."""

    def __init__(self, name: str, suggestions: list[str] | None = None):
        self.name = name
        self.suggestions = list(suggestions or [])
        hint = f" (did you mean {', '.join(repr(s) for s in self.suggestions)}?)" if self.suggestions else ""
        super().__init__(f"unknown family {name!r}{hint}")


class PluginError(RegistryError):
    """A plugin that failed to import, raised in a hook, or registered something invalid."""

    def __init__(self, plugin: str, message: str):
        self.plugin = plugin
        self.message = message
        super().__init__(f"plugin {plugin}: {message}")

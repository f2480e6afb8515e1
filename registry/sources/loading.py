"""Loading models from files, whatever their format, and listing families.

``registry.load`` reads a TOML spec; a reader for another format (such as a
Hugging Face ``config.json`` or a GGUF file) is registered in :data:`READERS` by file
suffix. A directory is a model folder: its ``config.json``, else its GGUF file. A name
that is no file (``llama-3.1-8b``) is looked up in the catalogue that ships with the
package (:mod:`registry.sources.catalogue`); ``-`` reads a spec (or a config.json) from stdin.
A Hugging Face repo id (``org/name[@revision][:file.gguf]``), when no path of that name
exists, is read through the Hub (:mod:`registry.sources.hub`): its config.json, else its
GGUF file's header. A folder of the Hugging Face cache (``models--org--name``) is its
snapshot of ``main``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from registry.contracts import Family
from registry.model import Model
from registry.plugin_manager import find_family, load_families


def _hf_config(path: Path, strict: bool = False) -> list[Model]:
    """A Hugging Face ``config.json``, mapped exactly to a family (see :mod:`registry.sources.hf_config`)."""
    from registry.sources.hf_config import load_config

    return load_config(path, strict=strict)


def _gguf(path: Path, strict: bool = False) -> list[Model]:
    """A GGUF file: the model its metadata describes (see :mod:`registry.sources.gguf_config`)."""
    from registry.checkpoints.gguf import read_gguf
    from registry.sources.gguf_config import gguf_model

    return [gguf_model(read_gguf(path), strict=strict)]


def _folder(path: Path, strict: bool = False) -> list[Model]:
    """A model folder: its ``config.json``, else the one GGUF file it holds (with the ``mmproj*.gguf`` of
    its vision tower, if it holds one: the whole composite model)."""
    from registry.checkpoints.folder import cache_snapshot, checkpoint_in, mmproj_in
    from registry.errors import SpecError

    path = cache_snapshot(path)
    if (path / "config.json").is_file():
        return _hf_config(path / "config.json", strict)
    checkpoint = checkpoint_in(path, required=False)
    mmproj = mmproj_in(path)
    if checkpoint is not None and mmproj is not None:
        from registry.checkpoints.gguf import read_gguf_pair
        from registry.sources.gguf_config import gguf_pair_model

        return [gguf_pair_model(read_gguf_pair(checkpoint, mmproj, str(path)), strict=strict)]
    if checkpoint is not None and checkpoint.suffix.lower() == ".gguf":
        return _gguf(checkpoint, strict)
    raise SpecError(str(path), "", "directory holds no config.json (nor a .gguf file) to count")


def _is_model_folder(path: Path) -> bool:
    """Whether a directory holds a config.json or a GGUF file (else it is no model folder)."""
    from registry.sources.hub_cache import REPO_PREFIX

    return (path / "config.json").is_file() or any(path.glob("*.gguf")) or path.name.startswith(REPO_PREFIX)


#: Readers by lower-case file suffix, called as ``reader(path, strict)``; anything else
#: is read as a TOML spec.
READERS: dict[str, Callable[[Path, bool], list[Model]]] = {".json": _hf_config, ".gguf": _gguf}


#: What ``-`` names on the command line (and for :func:`load`): standard input.
STDIN = "-"


def load(path: str | Path, *, strict: bool = False, part: str | None = None) -> list[Model]:
    """The models a spec file holds (one, or one per size of a multi-size spec).

    ``part`` keeps one part of a composite model (``"text"``: its language model alone,
    ``"vision"``, ``"audio"``, ``"projector"``; :func:`registry.model.select_part`).

    ``path`` may also be a catalogue name (``"llama-3.1-8b"``, or ``"gpt3-175b"`` for one
    size of a multi-size spec) or a Hugging Face repo id (``"meta-llama/Llama-3.1-8B"``,
    ``"org/name@revision"``, ``"org/name:file.gguf"``) when no file of that name exists, or
    ``"-"`` for stdin (a TOML spec, or a config.json when the text starts with ``{``).

    A directory is a model folder (its ``config.json``, else its ``.gguf`` file); a GGUF
    file is built from its metadata. A Hugging Face ``config.json`` is mapped by the plugin of its ``model_type``; its
    fields that transformers does not know are listed in ``Model.ignored_fields``, or,
    with ``strict``, refused. Raises :class:`registry.errors.SpecError` naming the
    file, line, field and problem when the file cannot be read or validated.
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"registry.load takes a file path or a catalogue name, not {type(path).__name__}")
    if part is not None:
        from registry.model import select_part

        return [select_part(model, part) for model in load(path, strict=strict)]
    if str(path) == STDIN:
        return _stdin(strict)
    if isinstance(path, str) and not path.strip():  # Path("") is ".", the current folder: never meant
        from registry.errors import SpecError

        raise SpecError(repr(path), "", "an empty name: give a spec file, a folder or a model of the catalogue")
    if "/" in str(path) and not _exists(path):  # a repo id? (the hub module is imported only then: start-up time)
        from registry.sources.hub import is_repo_id, parse_repo_id

        if is_repo_id(path):
            from registry.sources.hub_models import load_repo

            return load_repo(parse_repo_id(str(path)), strict=strict)  # type: ignore[arg-type]
    path, only = _catalogue(path)
    if only is not None:
        return [m for m in load(path, strict=strict) if m.name == only]
    from registry.checkpoints.folder import is_directory

    if is_directory(path) and (path.suffix.lower() not in (".toml", "") or _is_model_folder(path)):
        return _folder(path, strict)
    reader = READERS.get(path.suffix.lower())
    if reader is not None:
        return reader(path, strict)
    from registry.sources.spec import load as load_spec

    return load_spec(path)


def _exists(path: str | Path) -> bool:
    """Whether a path of that name exists (True where asking raises: the reader says what is wrong)."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return True


def _catalogue(path: str | Path) -> tuple[Path, str | None]:
    """``path`` itself when it names a file (or cannot be a name); otherwise the catalogue file
    of that name, and the one model wanted from it (None: all of them)."""
    text = str(path)
    try:
        exists = Path(text).exists()
    except (OSError, ValueError):
        exists = True  # let the reader say what is wrong with the name
    if exists:
        return Path(path), None
    from registry.sources import catalogue  # imported only for a name that is no file (start-up time)

    if not catalogue.looks_like_name(text):
        return Path(path), None
    found = catalogue.find(text)
    if found is None:
        from registry.errors import SpecError

        close = catalogue.suggestions(text)
        hint = f"; did you mean {' or '.join(close)}?" if close else " (registry list shows the catalogue)"
        raise SpecError(text, "", f"no such file, nor a model of that name in the catalogue{hint}")
    return found


def _stdin(strict: bool) -> list[Model]:
    """A spec (TOML) or a config.json (JSON: text starting with ``{``) read from standard input."""
    from registry.sources.spec import load_text

    text = read_stdin()
    if text.lstrip().startswith("{"):
        from registry.sources.hf_config import load_config

        return load_config(Path("<stdin>"), strict=strict, text=text)
    return load_text(text, "<stdin>")


def read_stdin() -> str:
    """Standard input as text: at most :data:`~registry.io.MAX_SPEC_BYTES` of UTF-8
    (a byte-order mark dropped); a SpecError naming ``<stdin>`` otherwise."""
    import sys

    from registry.errors import SpecError
    from registry.io import MAX_SPEC_BYTES

    if sys.stdin is None:  # started with standard input closed (<&-)
        raise SpecError("<stdin>", "", "standard input is closed; give a file name")
    try:
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read(MAX_SPEC_BYTES + 1) if stream is not None else (sys.stdin.read(MAX_SPEC_BYTES + 1) or "").encode()
    except (OSError, ValueError) as exc:  # a closed or unreadable stream
        raise SpecError("<stdin>", "", f"cannot read standard input: {getattr(exc, 'strerror', None) or exc}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError("<stdin>", "", f"input is over {MAX_SPEC_BYTES:,} bytes; a spec may be at most {MAX_SPEC_BYTES:,}")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark (PowerShell's pipes add one)
    except UnicodeDecodeError as exc:
        raise SpecError("<stdin>", "", f"not UTF-8 text (byte {exc.start})") from None
    return text


def families() -> dict[str, Family]:
    """Every installed family by name (built-in and from third-party plugins)."""
    return dict(load_families().items)


def family(name: str) -> Family | None:
    """The installed family called ``name``, or None; a built-in family is found without loading
    every plugin (start-up time: :func:`registry.plugin_manager.find_family`)."""
    from registry.errors import UnknownFamilyError

    try:
        return find_family(name)
    except UnknownFamilyError:
        return None

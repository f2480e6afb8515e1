"""Checking mapped hyper-parameters with a family's own rules, the error naming the config's field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from registry.contracts import ConfigReader


def check_params(cfg: ConfigReader, params_class: type[BaseModel], params: dict[str, Any], origins: dict[str, str]) -> BaseModel:
    """``params`` validated by ``params_class``; a failure raises ``cfg``'s error at the config field
    the faulty hyper-parameter came from (``origins``)."""
    from registry.blocks import FieldError

    try:
        return params_class.model_validate(params)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        cause = (first.get("ctx") or {}).get("error")
        name = cause.field if isinstance(cause, FieldError) else str(first["loc"][0]) if first["loc"] else ""
        message = str(cause) if cause is not None else _bound(first) or first["msg"]
        raise cfg.error(origins.get(name, name), message) from None


def _bound(error: Any) -> str:
    """A range error of pydantic in the words of the rest of registry (``must be >= 1 (got 0)``), else ""."""
    ctx = error.get("ctx") or {}
    if error.get("type") == "greater_than" and isinstance(ctx.get("gt"), int):
        return f"must be >= {ctx['gt'] + 1} (got {error.get('input')!r})"
    if error.get("type") == "greater_than_equal" and isinstance(ctx.get("ge"), int):
        return f"must be >= {ctx['ge']} (got {error.get('input')!r})"
    return ""


__all__ = ["check_params"]

"""Reading the data files shipped with the policy package (``core/policy/<folder>/*.yaml``)
into their checked models, with one error shape for a malformed file."""

from __future__ import annotations

from importlib import resources
from typing import TypeVar

import yaml
from pydantic import BaseModel

from indspace.core.errors import PolicyError

M = TypeVar("M", bound=BaseModel)


def read_bundled(model: type[M], folder: str, name: str, what_zh: str, what_en: str) -> M:
    """The bundled file ``<folder>/<name>.yaml`` checked by ``model``; a malformed file is a
    :class:`PolicyError` naming what it is (``what_zh`` / ``what_en``) and the file."""
    path = resources.files(__package__).joinpath(folder, f"{name}.yaml")
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValueError as e:
        raise PolicyError(
            f"{what_zh} {name} 格式错误：{e}",
            f"{what_en} {name} is malformed: {e}",
        ) from e

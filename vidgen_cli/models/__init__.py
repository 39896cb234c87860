"""Pure torch models: each is an nn.Module built from a config dataclass alone.

`ARCHITECTURES` maps the name stored in a checkpoint to (config class, model class), so a checkpoint
dict rebuilds its model without pickled code.
"""

from __future__ import annotations

from typing import Any

ARCHITECTURES: dict[str, tuple[type, type]] = {}


def register(name: str, config_cls: type, model_cls: type) -> None:
    """Make an architecture loadable by name from a checkpoint."""
    ARCHITECTURES[name] = (config_cls, model_cls)


def build(arch: str, config: dict[str, Any]) -> Any:
    """Rebuild a model from the architecture name and config dict saved in a checkpoint."""
    _import_all()
    if arch not in ARCHITECTURES:
        from vidgen_cli.errors import WeightsError

        raise WeightsError(f"unknown model architecture '{arch}' in weights file; upgrade vidgen")
    config_cls, model_cls = ARCHITECTURES[arch]
    return model_cls(config_cls(**config))


def _import_all() -> None:
    """Import the model modules so that they register themselves."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")

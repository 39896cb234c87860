"""Finding, verifying (sha256) and loading model weights, including the third-party Magenta ONNX files."""

from vidgen_cli.weights.store import (
    check_kind,
    find,
    load_checkpoint,
    load_model,
    read_metadata,
    save,
    sha256_for,
    sha256_of,
    weights_dirs,
)

__all__ = ["check_kind", "find", "load_checkpoint", "load_model", "read_metadata", "save", "sha256_for", "sha256_of", "weights_dirs"]

"""Shipped model weights, installed as the package `vidgen_cli.weight_files` (see pyproject.toml)."""

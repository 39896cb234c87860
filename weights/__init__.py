"""Shipped model weights, installed as the package `vidgen_cli.weights` (see pyproject.toml)."""

"""The ``formcheck`` command line (top layer): parses arguments and calls the layers below."""

from formcheck.cli.main import main

__all__ = ["main"]

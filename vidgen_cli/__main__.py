"""Allow `python -m vidgen_cli`."""

from vidgen_cli.cli.app import main

if __name__ == "__main__":
    main()

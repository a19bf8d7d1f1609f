"""``python -m workbench.cli``: the same as the ``workbench`` command."""

from . import main

if __name__ == "__main__":
    main()

"""``python -m occupy``: the ``occupy`` command."""
from .cli.occupy import main

main()

"""``python -m hookline.cli``: the same as the ``hookline`` script."""

from hookline.cli import main

main()

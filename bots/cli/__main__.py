"""`python -m bots.cli …`, the same as `lte-bot …`."""

from . import main

main()

"""``python -m tandem.cli``: the command line."""
from tandem.cli import main

raise SystemExit(main())

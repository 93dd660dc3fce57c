"""``python -m tandem``: the command line."""
from tandem.cli import main

raise SystemExit(main())

"""`python -m vlcmsim` == `vlcmsim`."""

from .cli import main

raise SystemExit(main())

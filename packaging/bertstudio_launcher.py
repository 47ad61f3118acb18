"""Entry script of the frozen app: the same `bertstudio.cli:main` the installed `bertstudio` command runs
(main calls multiprocessing.freeze_support() first, so worker processes start in the frozen app too)."""

import sys

from bertstudio.cli import main

if __name__ == "__main__":
    sys.exit(main())

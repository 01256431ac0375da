"""``python -m lintas_cli``: the ``lintas`` command line."""

import sys

from lintas_cli.main import main

sys.exit(main())

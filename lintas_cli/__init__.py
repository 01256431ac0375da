"""lintas_cli: the launcher — the ``lintas`` command line and ``lintas demo``.

The one package allowed to import every service: it registers each service's subcommands and
starts the demo stack. The runtime the services share (:mod:`lintas`) imports none of them; an
import contract in the test command keeps it so.
"""

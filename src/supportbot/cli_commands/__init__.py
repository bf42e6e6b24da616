"""Subcommands of ``supportbot`` beyond web/worker/run: each module has ``add_parser(sub)``."""

"""Reports: did we keep our promise? (docs/metrics.md defines every figure).

``records``, ``figures``, ``credits``, ``definitions`` and ``render`` are pure: plain records
in, figures out, no database and no clock. ``load`` is the one module that reads the database.
Only ``cli`` and ``cli_commands`` import this package.
"""

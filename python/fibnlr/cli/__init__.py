"""The ``fibnlr`` command line (``fibnlr --help``; also ``python -m fibnlr``).

Subcommands: ``run`` (the whole workflow), ``prune``, ``simplify``,
``finetune``, ``evaluate``, ``inspect`` and ``report``. ``main(argv)`` returns
the exit status: 0 success, 2 bad arguments or input (a ``ValueError``,
``TypeError`` or missing file, shown as one ``fibnlr: error: ...`` line), 1
any other failure (one line too; ``--debug`` shows the traceback), 130 Ctrl-C.
"""
from __future__ import annotations

import sys
import traceback

from .measuring import format_table
from .params import parameters_from_dict

__all__ = ["format_table", "main", "parameters_from_dict"]


def _commands():
    from .inspection import cmd_inspect
    from .prune import cmd_prune
    from .report import cmd_report
    from .run import cmd_run
    from .steps import cmd_evaluate, cmd_finetune, cmd_simplify
    return {"run": cmd_run, "prune": cmd_prune, "simplify": cmd_simplify, "finetune": cmd_finetune,
            "evaluate": cmd_evaluate, "inspect": cmd_inspect, "report": cmd_report}


def _error(message, args, code):
    print(f"fibnlr: error: {message}", file=sys.stderr)
    if getattr(args, "debug", False):
        traceback.print_exc()
    return code


def main(argv=None) -> int:
    """Runs the command line on ``argv`` (default ``sys.argv[1:]``) and returns the exit status."""
    from .output import Output
    from .parser import parse
    try:
        args = parse(argv)
    except SystemExit as e:  # --help, --version, or argparse's own one-line usage error (status 2)
        return e.code if isinstance(e.code, int) else 0
    try:
        return _commands()[args.command](args, Output(args))
    except KeyboardInterrupt:
        print("fibnlr: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
        return _error(str(e).splitlines()[0] if str(e) else type(e).__name__, args, 2)
    except ImportError as e:
        return _error(f"{e} (a package this step needs is missing)", args, 1)
    except Exception as e:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        return _error(f"{type(e).__name__}: {e}", args, 1)


if __name__ == "__main__":
    sys.exit(main())

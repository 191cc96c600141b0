"""The `textback` console script: every Django management command, with our settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "textback.settings")
    from django.core.management import execute_from_command_line

    from textback.lib.env import SettingError

    try:
        execute_from_command_line(sys.argv)
    except SettingError as exc:  # a setting we cannot use: say which and why, not a traceback into settings.py
        sys.stderr.write(f"textback: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()

"""Run by Debian's python3 (which has libical's GObject bindings), not the app's venv.

Reads an iCalendar object on stdin and prints libical's iTIP restriction check result:
"ok", or "fail" with the parsed text. Used by tests/test_mail.py as an independent check.
"""

import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402

text = sys.stdin.read()
component = ICalGLib.Component.new_from_string(text)
if component is None:
    print("fail: libical could not parse it")
    sys.exit(1)
ok = ICalGLib.restriction_check(component)
print("ok" if ok else "fail: " + component.as_ical_string())
sys.exit(0 if ok else 1)

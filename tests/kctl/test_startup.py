"""kctl starts without its heavy optional modules: every command pays for what it imports."""

from __future__ import annotations

import subprocess
import sys


def test_building_the_app_leaves_kio_and_textual_unimported():
    # kio (kctl's own protocol connection: ACLs, transactions) takes a few tenths of a
    # second to import, textual (the dashboard) as much; only the commands that use them
    # may load them.
    code = (
        "import sys, kctl.app; kctl.app.build_app(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'kio', 'textual'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

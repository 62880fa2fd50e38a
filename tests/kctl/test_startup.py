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


def test_entry_points_skip_kios_test_strategies():
    # kio registers hypothesis strategies when hypothesis is importable (a test dependency):
    # 0.3 s of start-up the CLI processes do not need. The entry points turn that off before
    # kio loads (the quorum command loads it, then finds nothing listening).
    quorum = "import kctl.app; kctl.app.main(['cluster', 'quorum', '-b', '127.0.0.1:1'])"
    broker = (
        "import runpy, sys; sys.argv = ['broker', '--listen', 'bad']; "
        "runpy.run_module('broker', run_name='__main__')"
    )
    for entry, kio_loaded in ((quorum, "True"), (broker, "False")):
        code = (
            "import sys\n"
            f"try:\n    {entry}\nexcept SystemExit:\n    pass\n"
            "print('kio' in {m.split('.')[0] for m in sys.modules}, sys.modules['hypothesis'])"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.stdout.split()[-2:] == [kio_loaded, "None"], (entry, out.stdout, out.stderr)

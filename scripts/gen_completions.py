"""Write the files generated from the real andamio app: completions/* and the root help
(andamio_cli/help.txt, printed by `andamio --help` without loading Typer).
`--check` exits 1 listing stale files.

    python scripts/gen_completions.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from andamio_cli.argv import COMPLETION_FILES as FILES  # noqa: E402
from andamio_cli.argv import SHELLS  # noqa: E402
from andamio_cli.commands.root import build_command, render_root_help  # noqa: E402
from andamio_cli.completion_gen import render  # noqa: E402


def main(argv: list[str]) -> int:
    check = "--check" in argv
    root = build_command()
    outputs = {ROOT / "completions" / FILES[shell]: render(shell, root) for shell in SHELLS}
    outputs[ROOT / "andamio_cli" / "help.txt"] = render_root_help()
    stale = []
    for path, text in outputs.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not check:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
    if check and stale:
        print("stale generated files (run python scripts/gen_completions.py):")
        print("\n".join(f"  {p}" for p in stale))
        return 1
    for p in stale:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Check that `mirage scan` answers byte for byte as it did before a speed change.

    python -m bot.bench.same_verdicts save DIR      # before: write every answer under DIR
    python -m bot.bench.same_verdicts compare DIR   # after: exit 1 when any answer differs

The inputs are the labelled sets (tests/data/real/*.jsonl, tests/data/*.jsonl) and the `mirage bench detect` mix
(200,000 messages); each runs through `python -m bot scan` in a new process, with any extra arguments given after
`--` (`... compare DIR -- --jobs 2`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from bot.bench.corpus import channel_mix

ROOT = Path(__file__).resolve().parents[2]
MIX_MESSAGES = 200_000
MIX_SHARE = 0.05


def inputs() -> dict[str, bytes]:
    """Every input set by name: the labelled files as they are, and the bench mix as JSON lines."""
    data = ROOT / "tests" / "data"
    files = sorted((data / "real").glob("*.jsonl")) + sorted(data.glob("*.jsonl"))
    named = {str(path.relative_to(ROOT)): path.read_bytes() for path in files}
    odd = [b"plain text about MMLU", b'"a JSON string: beats GPT-4 on MMLU"', b"[1, 2]", b"42", b"", b"   ",
           b'{"no_text": 1}', b'{"text": 7}', b"\xff\xfe not utf-8 MMLU",
           b'{"text": "top of the leaderboard, ship it"}',
           b'{"text": "customers say it works, MMLU 80"}\r', b"{broken json", b'{"text": ""}']
    named["odd-lines"] = b"\n".join(odd) + b"\n"
    named["bench-mix"] = "".join(json.dumps({"text": t}) + "\n" for t in channel_mix(MIX_MESSAGES, MIX_SHARE)).encode()
    return named


def scan(payload: bytes, extra: list[str]) -> bytes:
    return subprocess.run(
        [sys.executable, "-m", "bot", "scan", *extra], input=payload, capture_output=True, check=True, cwd=ROOT
    ).stdout


def _file_name(name: str) -> str:
    return name.replace("/", "__") + ".out"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("directory", type=Path)
    parser.add_argument("--only", default="", help="Only the input sets whose name contains this.")
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []  # arguments for `mirage scan`
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    action, directory = args.action, args.directory
    directory.mkdir(parents=True, exist_ok=True)
    differ = 0
    for name, payload in inputs().items():
        if args.only not in name:
            continue
        out = scan(payload, extra)
        digest = hashlib.sha256(out).hexdigest()[:16]
        answers = out.count(b"\n")
        target = directory / _file_name(name)
        if action == "save":
            target.write_bytes(out)
            print(f"saved    {name}: {answers} answers, sha256 {digest}")
            continue
        before = target.read_bytes()
        same = before == out
        differ += not same
        print(f"{'same' if same else 'DIFFERS':8} {name}: {answers} answers, sha256 {digest}")
        if not same:
            for number, (old, new) in enumerate(zip(before.splitlines(), out.splitlines(), strict=False), 1):
                if old != new:
                    print(f"  first difference at line {number}:\n    before {old!r}\n    after  {new!r}")
                    break
    if action == "compare":
        print("all answers identical" if not differ else f"{differ} input set(s) answered differently")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Run the quality evaluators and append their results to bench/RESULTS.md.

    python -m bench.quality              # CEReD (zero-shot, calibrated, baselines) + MC set
    python -m bench.quality --quick      # a small smoke run (a CEReD subset, one rubric)
    python -m bench.quality --no-write   # print only
    python -m bench.quality --finetune 1 # also fine-tune MiniLM for 1 epoch on CPU (slow)

CEReD is read from ../shared/data/cered/; without it the CEReD part is skipped with a message.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from .cered import CeredMissing

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small subsets and a few methods (smoke run)")
    parser.add_argument("--no-write", action="store_true", help="print the results; do not append to bench/RESULTS.md")
    parser.add_argument("--skip-cered", action="store_true")
    parser.add_argument("--skip-mc", action="store_true")
    parser.add_argument("--finetune", type=float, default=0.0, metavar="EPOCHS",
                        help="also fine-tune MiniLM on CEReD train for this many epochs (CPU; ~50 min per epoch on a busy 2-core machine)")
    parser.add_argument("--finetune-context", action="store_true",
                        help="with --finetune: input the sentence paired with its context window")
    parser.add_argument("--only-finetune", action="store_true", help="with --finetune: skip the other CEReD methods")
    parser.add_argument("--finetune-class-weight", type=float, default=0.0, metavar="POWER",
                        help="with --finetune: weigh each class's loss by (1/frequency)^POWER (0.5: square-root balancing)")
    args = parser.parse_args(argv)

    from screening.embedding import get_embedder
    from screening.settings import Settings

    from .report import cered_section, mc_section
    from .runs import run_cered, run_mc

    command = " ".join(["python -m bench.quality", *(sys.argv[1:] if argv is None else argv)])
    settings = Settings()
    embedder = get_embedder(settings)
    sections: list[tuple[str, list[str]]] = []
    env = f"{os.cpu_count()} CPUs (shared with other sessions: times are rough), Python {platform.python_version()}"
    if not args.skip_cered:
        try:
            start = time.perf_counter()
            results, info = run_cered(settings, embedder, quick=args.quick, finetune_epochs=args.finetune,
                                      only_finetune=args.only_finetune, finetune_context=args.finetune_context,
                                      finetune_class_weight=args.finetune_class_weight)
            info["wall_s"] = time.perf_counter() - start
            info["command"] = command
            sections.append(cered_section(results, info, env, args.quick))
        except CeredMissing as exc:
            print(f"CEReD skipped: {exc}", file=sys.stderr)
    if not args.skip_mc:
        results, info = run_mc(settings, embedder, quick=args.quick)
        info["command"] = command
        sections.append(mc_section(results, info, env, args.quick))
    for title, lines in sections:
        print(f"\n## {title}\n")
        print("\n".join(lines))
    if not args.no_write:
        from ..results import append_section

        for title, lines in sections:
            append_section(title, lines)
        print("\nappended to bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

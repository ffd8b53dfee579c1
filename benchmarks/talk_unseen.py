"""Who said it, on recordings the talk check was not built on (issue 32; docs/talk-unseen.md).

Builds the recordings of one split of ``tests/talk_unseen.py`` (``tune``, ``heldout``,
``heldout2``, ``heldout3``, ``tunev``, ``tuneh``, ``heldout4``, ``heldout5``, ``tunevh``,
``heldout6``, ``heldout7``, ``heldout8`` or ``heldout9``) into a folder (kept between runs),
audits each with the bundled models and the ``bundled_samples`` profile, and prints, per
recording and for the split, the figures of ``tests/talk_measure.py``: talk IoU per party,
代答 turns flagged, false who-said-it findings, key phrases given to the right party, seconds
reported as "both" against the real overlap. ``--json FILE`` also saves them.

    PYTHONPATH=$PWD DUALREC_TEST_MEDIA=../shared/media DUALREC_AUDIT_MODELS=../shared/models \
        .venv/bin/python benchmarks/talk_unseen.py SPLIT [--out DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

SPLITS = (
    "tune",
    "heldout",
    "heldout2",
    "heldout3",
    "tunev",
    "tuneh",
    "heldout4",
    "heldout5",
    "tunevh",
    "heldout6",
    "heldout7",
    "heldout8",
    "heldout9",
)


def recipes_of(split: str) -> tuple:
    from tests import talk_unseen as tu
    from tests import talk_unseen_noise as tn

    return {
        "tune": tu.TUNE,
        "heldout": tu.HELDOUT,
        "heldout2": tu.HELDOUT_2,
        "heldout3": tu.HELDOUT_3,
        "tunev": tu.TUNE_VOICE,
        "tuneh": tn.TUNE_HUM,
        "heldout4": tn.HELDOUT_4,
        "heldout5": tn.HELDOUT_5,
        "tunevh": tn.TUNE_VOICE_HUM,
        "heldout6": tn.HELDOUT_6,
        "heldout7": tn.HELDOUT_7,
        "heldout8": tn.HELDOUT_8,
        "heldout9": tn.HELDOUT_9,
    }[split]


def run(split: str, out: Path) -> tuple[list, dict]:
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
    from dualrec_audit.checks.faces import FaceParams
    from tests import talk_unseen as tu
    from tests.conftest import media
    from tests.talk_measure import measure, summary

    recipes = recipes_of(split)
    root = media("video/grid_bbaf2n.mpg").parent.parent
    out.mkdir(parents=True, exist_ok=True)
    pipelines: dict[str, AuditPipeline] = {}
    figures = []
    for recipe in recipes:
        built = tu.build(recipe, root, out)
        side = recipe.staff_side
        if side not in pipelines:
            opts = AuditOptions(profile="bundled_samples", faces=FaceParams(staff_side=side))
            pipelines[side] = AuditPipeline(opts)
        began = time.monotonic()
        result = pipelines[side].apply(built.path)
        assert result.error is None, result.error
        f = measure(built, result)
        figures.append(f)
        print(json.dumps(f.to_dict(), ensure_ascii=False), f"({time.monotonic() - began:.0f} s)",
              flush=True)  # fmt: skip
    total = summary(figures)
    print(split, json.dumps(total, ensure_ascii=False), flush=True)
    return figures, total


def long_recording(split: str, times: int, out: Path) -> Path:
    """The split's first recording played ``times`` times in a row, for the cost
    (``benchmarks/measure.py talk FILE``): its voices repeated, one copy after the other."""
    from dataclasses import replace

    from tests import talk_unseen as tu
    from tests.conftest import media

    root = media("video/grid_bbaf2n.mpg").parent.parent
    recipe = recipes_of(split)[0]
    name = recipe.name
    out.mkdir(parents=True, exist_ok=True)
    period = max(s.end for s in tu.build(recipe, root, out).truth) + recipe.tail_s
    voices = tuple(replace(v, at=v.at + k * period) for k in range(times) for v in recipe.voices)
    return tu.build(replace(recipe, name=f"{name}_x{times}", voices=voices), root, out).path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("split", choices=SPLITS)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "talk-unseen")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--long", type=int, help="only write the split's first recording played "
                    "this many times in a row (for the cost) and print its path")  # fmt: skip
    args = ap.parse_args()
    if args.long:
        print(long_recording(args.split, args.long, args.out))
        return
    figures, total = run(args.split, args.out)
    if args.json is not None:
        doc = {
            "split": args.split,
            "load": os.getloadavg(),
            "recordings": [f.to_dict() for f in figures],
            "summary": total,
        }
        args.json.write_text(json.dumps(doc, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

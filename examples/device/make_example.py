"""Regenerate the example device of examples/device/ from known parameters (seeded).

    python examples/device/make_example.py [FOLDER] [--seed 0]

Draws the seven lab measurements of a 1 mm Cs3Bi2I9 pellet with ohmic contacts
(photoconductive gain 2 at 100 V: its sensitivity exceeds S0) with the source-meter
simulator (perovx.readout.sourcemeter) and writes them with the device record
cs3bi2i9_pellet.toml. The parameters are perovx.device.synthetic.EXAMPLE_TRUTH; the
script prints them so that `perovx device fit` can be checked against them. It never
overwrites a file: give an empty FOLDER (default: this script's folder, which must not
hold the files yet).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from perovx.device.synthetic import write_synthetic_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(Path(__file__).parent))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    record, truth = write_synthetic_device(
        args.folder,
        seed=args.seed,
        name="cs3bi2i9_pellet.toml",
        title="Cs3Bi2I9 pellet, ohmic contacts (synthetic example)",
    )
    print(f"wrote {record}")
    print(json.dumps(truth, indent=2))


if __name__ == "__main__":
    main()

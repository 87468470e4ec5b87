"""Build ``forearm_voxels.npy``: a labelled voxel model of a forearm segment (synthetic).

    python examples/simulate/make_forearm_voxels.py

Axes (beam, rows, columns) = antero-posterior 60 mm, along the arm 100 mm, across 80 mm,
1 mm voxels. Labels: 0 air, 1 soft tissue (muscle, fat and marrow together), 2 cortical
bone. Soft tissue: elliptic cross-section 70 mm wide, 50 mm thick. Radius and ulna: tubes
with a cortical wall 2.5 mm thick; the radius widens from 14 to 22 mm towards the wrist,
the ulna narrows from 13 to 9 mm. Dimensions are typical adult values chosen for the
example (stated, not measured from a patient); the file is generated, not taken from any
data set.
"""

from pathlib import Path

import numpy as np


def forearm() -> np.ndarray:
    z, y, x = np.mgrid[0:60, 0:100, 0:80].astype(float) + 0.5
    z -= 30.0
    x -= 40.0
    t = y / 100.0  # 0 at the elbow end, 1 at the wrist end
    labels = np.zeros(z.shape, dtype=np.uint8)
    labels[(x / 35.0) ** 2 + (z / 25.0) ** 2 <= 1.0] = 1
    for cx, cz, r0, r1 in ((-12.0, 0.0, 7.0, 11.0), (14.0, 3.0, 6.5, 4.5)):
        r = r0 + (r1 - r0) * t
        d = np.hypot(x - cx, z - cz)
        labels[(d <= r) & (d > r - 2.5)] = 2
    return labels


if __name__ == "__main__":
    out = Path(__file__).with_name("forearm_voxels.npy")
    np.save(out, forearm())
    print(out)

"""The chest phantom: real size, lungs darker than the mediastinum."""

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.interaction.chest import CHEST_WIDTH_M, chest_phantom
from perovx.interaction.phantoms import transmission


def test_chest_has_its_width_and_anatomy():
    # 2 mm grid, 500 mm field: the 340 mm trunk spans 170 cells
    ph = chest_phantom((250, 250), spacing_m=2e-3)
    total = sum(ph.thickness_m.values())
    row = total[125]
    width_mm = np.count_nonzero(row > 0) * 2.0
    assert width_mm == pytest.approx(CHEST_WIDTH_M * 1e3, abs=4.0)
    # a lung field transmits more than the spine / mediastinum at 60 keV
    t = np.asarray(transmission(ph, np.array([60.0])))[0]
    lung = t[115, 125 - 39]  # 78 mm to the right of the midline
    spine = t[115, 125]
    assert lung > 2 * spine
    # scaling with the width
    small = chest_phantom((250, 250), spacing_m=2e-3, width_m=0.17)
    assert np.count_nonzero(sum(small.thickness_m.values())[125] > 0) * 2.0 == pytest.approx(
        170.0, abs=4.0)


def test_bad_chest():
    with pytest.raises(InputError):
        chest_phantom((10, 10), spacing_m=1e-3, width_m=-1.0)

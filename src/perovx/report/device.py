"""The demo report's "your device" section: the example device fitted, reconciled, ranked."""

from __future__ import annotations

import tempfile
from pathlib import Path

from perovx.report.document import Figure, Section, Table, fmt

__all__ = ["device_section"]


def device_section(folder: Path) -> Section:
    """Fit the example device (examples/device/, regenerated with its seed) and report it.

    Parameters
    ----------
    folder
        Report folder; the figure ``device_fit.png`` is written there.
    """
    import matplotlib.pyplot as plt

    from perovx.device import Device
    from perovx.device.synthetic import write_synthetic_device

    with tempfile.TemporaryDirectory(prefix="perovx-device-") as tmp:
        # the same generator and seed as examples/device/make_example.py: the same files
        record, _ = write_synthetic_device(
            tmp,
            seed=0,
            name="cs3bi2i9_pellet.toml",
            title="Cs3Bi2I9 pellet, ohmic contacts (synthetic example)",
        )
        result = Device.from_file(record).fit()
    fig = result.plot()
    fig.savefig(Path(folder) / "device_fit.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    params = tuple((p.name.replace("_", " "), p.format(), p.source) for p in result.parameters)
    blocks = tuple((name, str(n), fmt(c / n)) for name, (c, n) in result.block_chi2().items())
    standing = tuple(result.standing.table_rows())
    text = (
        "A measured device, from its lab files to one model: perovx device fit on the example "
        "record examples/device/cs3bi2i9_pellet.toml (a 1 mm Cs3Bi2I9 pellet with ohmic "
        "contacts, its seven lab files drawn by the source-meter simulator from known "
        "parameters). One model — resistivity and activation energy, μτ of each carrier "
        "with the photoconductive gain they imply, the measured noise, response and lag "
        "time constants, drift and stability dose — explains all files together; each "
        "parameter names the measurement that fixed it.\n\n" + "\n\n".join(result.explanations)
    )
    return Section(
        "Your device",
        text,
        (
            Table(
                ("parameter", "value ± standard uncertainty", "fixed by"),
                params,
                "Parameters of the device model",
            ),
            Table(
                ("measurement", "operating points", "χ² per point"),
                blocks,
                f"Reconciliation: model beside every measured point (χ²/dof = "
                f"{result.reduced_chi2:.2f})",
            ),
            Table(
                ("figure", "this device", "rank among the review's detectors", "best row"),
                standing,
                "Standing (review Tables 1–2 and the database rows; S0 of each row at the "
                "device's beam)",
            ),
        ),
        (
            Figure(
                "device_fit.png",
                "perovx device fit: each measurement beside the model, "
                "normalised residuals, and the device (star) among the review's detectors.",
            ),
        ),
    )

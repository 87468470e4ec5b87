"""``Device``: a measured detector, from its record to a fitted model and a flat panel.

::

    from perovx.device import Device

    dev = Device.from_file("examples/device/cs3bi2i9_pellet.toml")
    fit = dev.fit()            # DeviceFit: parameters, reconciliation, standing
    fit.to_dict()              # JSON with units in the keys
    fit.plot()                 # data beside the model, residuals, standing
    fit                        # renders as an HTML table in a notebook
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from perovx.device.record import DeviceRecord, load_record, parse_record
from perovx.device.result import DeviceFit, Parameter

if TYPE_CHECKING:
    import xarray

__all__ = ["Device", "DeviceFit", "Parameter"]


class Device:
    """A measured detector described by a :class:`~perovx.device.record.DeviceRecord`."""

    def __init__(self, record: DeviceRecord) -> None:
        self.record = record
        self._fit: DeviceFit | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> Device:
        """Read a device record TOML file (see :mod:`perovx.device.record`)."""
        return cls(load_record(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, base_dir: str | Path = ".") -> Device:
        """A device from a record given as a dictionary (paths relative to ``base_dir``)."""
        return cls(parse_record(data, base_dir=base_dir))

    def fit(self) -> DeviceFit:
        """Run every analysis the record has files for and fit one model to them all."""
        from perovx.device.fit import fit_record

        self._fit = fit_record(self.record)
        return self._fit

    def simulate(
        self,
        config: str | Path | dict[str, Any] | None = None,
        *,
        write: bool = True,
        overwrite: bool = False,
        fit: DeviceFit | None = None,
    ) -> xarray.DataArray:
        """Image a phantom with a flat panel made of this film (``perovx simulate`` chain).

        Parameters
        ----------
        config
            A ``perovx simulate`` TOML file or its parsed tables; ``None`` uses the
            record's ``[panel]`` section. Its ``[detector]`` table is completed with the
            fitted parameters (see :func:`perovx.device.panel.panel_config`).
        write, overwrite
            As :func:`perovx.readout.simulate.simulate`.
        fit
            A fit of this device (default: fit it now).
        """
        from perovx.device.panel import simulate_panel

        result = fit or self._fit or self.fit()
        return simulate_panel(result, config, write=write, overwrite=overwrite)

    def __repr__(self) -> str:
        given = ", ".join(self.record.measurements.given()) or "no measurements"
        return f"Device({self.record.material!r}, {self.record.contacts}, {given})"

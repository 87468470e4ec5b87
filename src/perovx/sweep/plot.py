"""Figures of a sweep vs layer thickness, one curve per material (``perovx sweep --plot``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["plot_sweep"]

#: Variables shown by default → (scale to the display unit, display unit, log y axis).
_DISPLAY: dict[str, tuple[float, str, bool]] = {
    "normalized_sensitivity": (1.0, "", False),
    "sensitivity": (100.0, "µC Gy⁻¹ cm⁻²", True),
    "dark_current_density": (1e5, "nA cm⁻²", True),
    "lod": (1e9, "nGy s⁻¹", True),
}
_STYLES = ("-", "--", ":", "-.")


def plot_sweep(ds: Any, *, variables: Sequence[str] | None = None, fig: Any = None,
               select: dict[str, int] | None = None) -> Any:
    """Plot sweep variables vs thickness (µm): colour per material, line style per field/bias.

    Dimensions other than material, thickness and field (or bias) are shown at their
    first value (named in the title); at most four field or bias values are drawn.

    Parameters
    ----------
    ds
        A dataset from :func:`perovx.sweep.sweep`.
    variables
        Variables to plot, one panel each (default: S/S0, sensitivity, dark current,
        LoD, those present).
    fig
        A matplotlib figure to draw into (default: a new one).
    select
        Index to show along other dimensions (default 0 for each), e.g.
        ``{"frequency": 2}`` for the DQE at the third frequency.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    if fig is None:
        matplotlib.use("Agg")
        from matplotlib.figure import Figure

    names = [v for v in (variables or _DISPLAY) if v in ds.data_vars]
    if not names:
        names = [v for v in ds.data_vars if set(ds[v].dims) >= {"material", "thickness"}][:4]
    volt = "field" if "field" in ds.dims else "bias"
    fixed = {d: (select or {}).get(d, 0) for d in ds.dims
             if d not in ("material", "thickness", volt)}
    sub = ds.isel(fixed).isel({volt: slice(0, len(_STYLES))})
    ncols = 2 if len(names) > 1 else 1
    nrows = -(-len(names) // ncols)
    if fig is None:
        fig = Figure(figsize=(5.2 * ncols, 3.6 * nrows), layout="constrained")
    cmap = matplotlib.colormaps["tab10" if sub.sizes["material"] <= 10 else "tab20"]
    t_um = sub["thickness"].values * 1e6
    for k, name in enumerate(names):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        scale, unit, log = _DISPLAY.get(name, (1.0, ds[name].attrs.get("units", ""), False))
        for i, material in enumerate(sub["material"].values):
            for j, v in enumerate(sub[volt].values):
                y = sub[name].sel(material=material).isel({volt: j}).values * scale
                label = str(material) if sub.sizes[volt] == 1 else \
                    f"{material}, {_volt_label(volt, v)}"
                ax.plot(t_um, y, _STYLES[j], color=cmap(i % cmap.N), label=label)
        ax.set_xscale("log")
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("layer thickness (µm)")
        long = ds[name].attrs.get("long_name", name)
        ax.set_ylabel(f"{long} ({unit})" if unit and unit != "1" else long)
        ax.grid(alpha=0.3, which="both")
        if k == 0:
            ax.legend(fontsize=7)
    fig.suptitle(_title(ds, fixed), fontsize=9)
    return fig


def _volt_label(dim: str, value: float) -> str:
    return f"{value * 1e-6:g} V/µm" if dim == "field" else f"{value:g} V"


def _title(ds: Any, fixed: dict[str, int]) -> str:
    parts = []
    for dim, index in fixed.items():
        value = ds[dim].values[index]
        if dim == "temperature":
            parts.append(f"{value:g} K")
        elif dim == "pixel_pitch":
            parts.append(f"pitch {value * 1e6:g} µm")
        elif dim == "frequency":
            parts.append(f"curves at {value * 1e-3:g} lp/mm")
        else:
            parts.append(str(value))
    return "perovx sweep: " + ", ".join(parts)

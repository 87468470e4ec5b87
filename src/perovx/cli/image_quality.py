"""Image-quality commands: ``mtf``, ``nps``, ``dqe`` and ``linepairs``.

Images are TIFF, DICOM, PNG, BMP, JPEG, NumPy ``.npy`` or raw files (raw needs ``--shape``
and ``--dtype``); colour images are analysed as ISO 12233 luminance. The pixel pitch comes
from the file where it states one, else from ``--pixel-pitch`` (which, when given, takes
precedence). ``--bit-depth`` sets the saturation level of integer data, and
``--conversion-function`` linearises pixel values before the analysis (IEC 62220-1-1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from perovx.cli._common import dump_json, handle_errors

__all__ = ["register"]

_PITCH_HELP = "Pixel pitch, e.g. 100um or 0.139mm (bare numbers are mm); overrides the file's."
_SHAPE_HELP = "Shape of a raw file: ROWSxCOLS or FRAMESxROWSxCOLS, e.g. 3072x3072."
_DTYPE_HELP = "Data type of a raw file: uint16, <u2 (little-endian), >u2, float32 ..."
_OFFSET_HELP = "Header bytes to skip in a raw file."
_JSON_HELP = "Print one JSON object (keys carry units)."
_BIT_DEPTH_HELP = ("Significant bits of the stored integer values (e.g. 12 for a 12-bit "
                   "detector writing 16-bit files); sets the saturation level 2^bits − 1. "
                   "Default: from the file.")
_CONVERSION_HELP = ("Conversion function: two-column text file, pixel value → air kerma or "
                    "relative exposure (IEC 62220-1-1), or a camera OECF; applied before the "
                    "analysis, piecewise linear between points; pixel values outside it are "
                    "refused.")
_ORDER_HELP = ("Column order of a conversion file without a header: pixel,value or "
               "value,pixel (MITRE SFR oecf.txt).")
_INTERP_HELP = "Interpolation of the conversion function: linear or pchip (monotone cubic)."
_ALLOW_SAT_HELP = ("Analyse an edge with saturated pixels as it is (with a warning) instead "
                   "of keeping them out of the ESF or refusing it.")
BitDepthOpt = Annotated[int | None, typer.Option("--bit-depth", help=_BIT_DEPTH_HELP)]
ConversionOpt = Annotated[Path | None, typer.Option("--conversion-function",
                                                    help=_CONVERSION_HELP)]
ConversionOrderOpt = Annotated[str, typer.Option("--conversion-order", help=_ORDER_HELP)]
ConversionInterpOpt = Annotated[str, typer.Option("--conversion-interpolation",
                                                  help=_INTERP_HELP)]
AllowSaturationOpt = Annotated[bool, typer.Option("--allow-saturation",
                                                  help=_ALLOW_SAT_HELP)]
_BEAM_HELP = ("Beam for q (photons per mm² per µGy): IEC 61267 quality (RQA5 ...), 60keV or "
              "70kVp; the IEC 62220-1-1 values are shown beside ours.")


def _parse_roi(text: str, *, name: str) -> tuple[int, int, int, int]:
    """``"R0:R1,C0:C1"`` → (row_start, row_stop, col_start, col_stop)."""
    from perovx.errors import InputError

    try:
        rows, cols = text.replace(" ", "").split(",")
        r0, r1 = (int(v) for v in rows.split(":"))
        c0, c1 = (int(v) for v in cols.split(":"))
    except ValueError:
        raise InputError(
            f"{name}: cannot read {text!r}; expected ROW_START:ROW_STOP,COL_START:COL_STOP "
            "in pixels, e.g. 100:900,400:700"
        ) from None
    return r0, r1, c0, c1


def _parse_shape(text: str | None) -> tuple[int, ...] | None:
    from perovx.errors import InputError

    if text is None:
        return None
    try:
        dims = tuple(int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise InputError(f"--shape: cannot read {text!r}; expected e.g. 3072x3072") from None
    if len(dims) not in (2, 3):
        raise InputError(f"--shape: expected ROWSxCOLS or FRAMESxROWSxCOLS, got {text!r}")
    return dims


def _pitch(text: str | None) -> float | None:
    from perovx.io.images import PIXEL_PITCH_RANGE_M
    from perovx.units import parse_quantity

    if text is None:
        return None
    lo, hi = PIXEL_PITCH_RANGE_M
    return parse_quantity(text, "m", name="--pixel-pitch", default_unit="mm",
                          minimum=lo, maximum=hi)


def _conversion(path: Path | None, order: str, interpolation: str) -> Any:
    """The conversion function of ``--conversion-function``, or None."""
    if path is None:
        return None
    from perovx.metrics.conversion import read_conversion_function

    return read_conversion_function(path, order=order, interpolation=interpolation)


#: Bytes an analysis holds per image pixel: float64 copies of the image, its
#: detrended/windowed versions and FFT work arrays (MTF, NPS, DQE).
_BYTES_PER_PIXEL = 8 * 8


def _image_pixels(path: Path, shape: tuple[int, ...] | None, dtype: str | None) -> float:
    """Pixels of an image file, read from its header only (file size when unknown)."""
    import numpy as np

    suffix = path.suffix.lower()
    try:
        if shape is not None:
            return float(np.prod(shape))
        if suffix == ".npy":
            with open(path, "rb") as fh:
                version = np.lib.format.read_magic(fh)
                header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                          else np.lib.format.read_array_header_2_0)(fh)
            return float(np.prod(header[0]))
        if suffix in (".tif", ".tiff"):
            import tifffile

            with tifffile.TiffFile(path) as tif:
                return float(sum(np.prod(series.shape) for series in tif.series))
        if suffix in (".dcm", ".dicom", ""):
            import pydicom

            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            return float(int(ds.Rows) * int(ds.Columns) * int(getattr(ds, "NumberOfFrames", 1)
                                                             or 1))
    except Exception:  # an unreadable header: the reader reports it properly
        pass
    try:
        size = path.stat().st_size
    except OSError:
        return 0.0
    itemsize = np.dtype(dtype).itemsize if dtype else 1
    return size / max(itemsize, 1)


def _check_image_size(path: Path, shape: tuple[int, ...] | None, dtype: str | None) -> None:
    """Refuse an image whose analysis would need more memory than the limit."""
    from perovx.limits import resolve_limits

    pixels = _image_pixels(path, shape, dtype)
    limits = resolve_limits(memory_keys="PEROVX_MAX_MEMORY (environment)")
    limits.check(f"{path}: an image of {pixels:.3g} pixels",
                 memory_bytes=pixels * _BYTES_PER_PIXEL,
                 reduce="crop the image to the region to analyse")


def _load(path: Path, pitch: str | None, shape: str | None, dtype: str | None,
          offset: int, bit_depth: int | None = None) -> Any:
    """Read an image and make sure its pixel pitch is known."""
    from perovx.errors import InputError
    from perovx.io.images import read_image

    _check_image_size(path, _parse_shape(shape), dtype)
    image = read_image(path, pixel_pitch_m=_pitch(pitch), shape=_parse_shape(shape),
                       dtype=dtype, offset_bytes=offset, bit_depth=bit_depth)
    if image.pixel_pitch_m is None:
        fmt = image.metadata.get("format")
        where = {"dicom": "the DICOM header has no ImagerPixelSpacing or PixelSpacing",
                 "tiff": "the TIFF has no usable resolution tags"}.get(
            fmt, f"a {fmt} file does not store it")
        raise InputError(
            f"{path}: pixel pitch unknown: {where}; give it with --pixel-pitch, "
            "e.g. --pixel-pitch 100um"
        )
    file_pitch = image.metadata.get("file_pixel_pitch_m")
    if file_pitch is not None and any(
        abs(g / f - 1) > 1e-3 for g, f in zip(image.pixel_pitch_m, file_pitch, strict=True)
    ):
        typer.echo(
            f"perovx: note: {path}: --pixel-pitch {image.pixel_pitch_m[1] * 1e3:.4g} mm "
            f"overrides the file's {file_pitch[1] * 1e3:.4g} mm",
            err=True,
        )
    return image


def _save_plot(result: Any, path: Path | None) -> None:
    if path is None:
        return
    import matplotlib.pyplot as plt

    from perovx.io.atomic import save_figure

    fig = result.plot()
    try:
        save_figure(fig, path, dpi=120)
    finally:
        plt.close(fig)


def _check_plot(path: Path | None) -> None:
    """Refuse an existing ``--plot`` file (or a missing folder) before any work."""
    if path is not None:
        from perovx.io.atomic import check_new

        check_new(path, what="plot")


def _fmt(value: float | None, unit: str = "lp/mm", scale: float = 1e-3) -> str:
    return "not reached" if value is None else f"{value * scale:.3f} {unit}"


def mtf_command(
    image: Annotated[Path, typer.Argument(
        help="Edge image (TIFF, DICOM, PNG, BMP, JPEG, .npy, raw).")],
    pixel_pitch: Annotated[str | None, typer.Option(help=_PITCH_HELP)] = None,
    roi: Annotated[str | None, typer.Option(
        help="Region around the edge, ROW0:ROW1,COL0:COL1 (pixels); default: found "
             "automatically.")] = None,
    oversampling: Annotated[int, typer.Option(help="ESF bins per pixel (2–20).")] = 10,
    window: Annotated[str, typer.Option(help="LSF window: tukey, hann, hamming, none.")] =
        "tukey",
    max_frequency: Annotated[float, typer.Option(
        help="Highest reported frequency in cycles per pixel (0.5 = Nyquist).")] = 1.0,
    shape: Annotated[str | None, typer.Option(help=_SHAPE_HELP)] = None,
    dtype: Annotated[str | None, typer.Option(help=_DTYPE_HELP)] = None,
    offset: Annotated[int, typer.Option(help=_OFFSET_HELP)] = 0,
    bit_depth: BitDepthOpt = None,
    conversion_function: ConversionOpt = None,
    conversion_order: ConversionOrderOpt = "pixel,value",
    conversion_interpolation: ConversionInterpOpt = "linear",
    allow_saturation: AllowSaturationOpt = False,
    json_out: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
    profiles: Annotated[bool, typer.Option(
        help="With --json, also print the oversampled ESF and the LSF.")] = False,
    plot: Annotated[Path | None, typer.Option(help="Write the MTF plot to this PNG.")] = None,
) -> None:
    """Presampled MTF from a slanted-edge image (IEC 62220-1-1:2015).

    Prints MTF50, MTF20 and MTF10 in lp/mm, the edge angle and the MTF curve.
    """
    from perovx.metrics.mtf import slanted_edge_mtf

    _check_plot(plot)
    conv = _conversion(conversion_function, conversion_order, conversion_interpolation)
    img = _load(image, pixel_pitch, shape, dtype, offset, bit_depth)
    result = slanted_edge_mtf(
        img, roi=None if roi is None else _parse_roi(roi, name="--roi"),
        oversampling=oversampling, window=window,
        max_frequency_cycles_per_pixel=max_frequency,
        allow_saturation=allow_saturation, conversion=conv,
    )
    _save_plot(result, plot)
    if json_out:
        dump_json({"file": str(image), **result.to_dict(include_profiles=profiles)})
        return
    d = result.to_dict()
    typer.echo(f"MTF of {image} ({result.orientation} edge, {result.polarity}, "
               f"angle {result.edge_angle_deg:.3f}°, ROI rows {d['roi_rows'][0]}:"
               f"{d['roi_rows'][1]}, cols {d['roi_cols'][0]}:{d['roi_cols'][1]}, "
               f"{result.roi_source})")
    typer.echo(f"  pixel pitch   {result.pixel_pitch_m * 1e3:.4g} mm, Nyquist "
               f"{result.nyquist_per_m * 1e-3:.3f} lp/mm, MTF(Nyquist) "
               f"{d['mtf_at_nyquist']:.3f}")
    typer.echo(f"  MTF50         {_fmt(result.mtf50_per_m)}")
    typer.echo(f"  MTF20         {_fmt(result.mtf20_per_m)}")
    typer.echo(f"  MTF10         {_fmt(result.mtf10_per_m)}")
    typer.echo("  f (lp/mm)   MTF")
    step = 0.5e3
    k = 1
    while k * step <= result.frequency_per_m[-1] + 1e-9:
        typer.echo(f"  {k * step * 1e-3:8.2f}   {result.mtf_at(k * step):.3f}")
        k += 1
    for note in result.notes:
        typer.echo(f"  note: {note}")
    for warning in result.warnings:
        typer.echo(f"  warning: {warning}")
    if plot is not None:
        typer.echo(f"  plot written to {plot}")


def nps_command(
    images: Annotated[list[Path], typer.Argument(
        help="Flat-field images (files or multi-frame stacks), all of one shape.")],
    pixel_pitch: Annotated[str | None, typer.Option(help=_PITCH_HELP)] = None,
    roi_size: Annotated[int, typer.Option(help="Square ROI side in pixels (IEC: 256).")] = 256,
    area: Annotated[str, typer.Option(
        help="Analysed area: iec (central 125 mm square), full, or ROW0:ROW1,COL0:COL1.")] =
        "iec",
    detrend: Annotated[str, typer.Option(help="poly2 (IEC), mean or none.")] = "poly2",
    subtract_mean: Annotated[bool, typer.Option(
        help="Subtract the mean image first (removes fixed-pattern noise).")] = False,
    shape: Annotated[str | None, typer.Option(help=_SHAPE_HELP)] = None,
    dtype: Annotated[str | None, typer.Option(help=_DTYPE_HELP)] = None,
    offset: Annotated[int, typer.Option(help=_OFFSET_HELP)] = 0,
    bit_depth: BitDepthOpt = None,
    conversion_function: ConversionOpt = None,
    conversion_order: ConversionOrderOpt = "pixel,value",
    conversion_interpolation: ConversionInterpOpt = "linear",
    json_out: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
    plot: Annotated[Path | None, typer.Option(help="Write the NNPS plot to this PNG.")] = None,
) -> None:
    """Noise power spectrum of flat fields (IEC 62220-1-1:2015).

    Prints the normalised NPS (mm²) along u, v and radially, with the mean signal.
    """
    from perovx.metrics.nps import noise_power_spectrum

    _check_plot(plot)
    conv = _conversion(conversion_function, conversion_order, conversion_interpolation)
    loaded = [_load(p, pixel_pitch, shape, dtype, offset, bit_depth) for p in images]
    result = _nps(noise_power_spectrum, loaded, roi_size, area, detrend, subtract_mean, conv)
    _save_plot(result, plot)
    if json_out:
        dump_json({"files": [str(p) for p in images], **result.to_dict()})
        return
    typer.echo(f"NPS of {result.n_images} image(s), {result.n_rois} ROIs of "
               f"{result.roi_size_px} px, mean signal {result.mean_signal:.6g}, "
               f"variance {result.variance:.6g}")
    typer.echo("  f (lp/mm)   NNPS_u (mm²)   NNPS_v (mm²)   NNPS_r (mm²)")
    f = result.frequency_per_m
    picks = sorted({int(i) for i in range(0, f.size, max(1, f.size // 12))} | {f.size - 1})
    if result.mean_signal > 0:
        nu, nv, nr = result.nnps_horizontal, result.nnps_vertical, result.nnps_radial
        for i in picks:
            typer.echo(f"  {f[i] * 1e-3:8.3f}   {nu[i] * 1e6:12.4e}   {nv[i] * 1e6:12.4e}"
                       f"   {nr[i] * 1e6:12.4e}")
    for note in result.notes:
        typer.echo(f"  note: {note}")
    if plot is not None:
        typer.echo(f"  plot written to {plot}")


def _nps(func: Any, loaded: list[Any], roi_size: int, area: str, detrend: str,
         subtract_mean: bool, conversion: Any = None) -> Any:
    area_arg: Any = area if area in ("iec", "full") else _parse_roi(area, name="--area")
    pitch = loaded[0].pixel_pitch_m
    return func(loaded, pixel_pitch_m=pitch, roi_size_px=roi_size, area=area_arg,
                detrend=detrend, subtract_mean_image=subtract_mean, conversion=conversion)


def _air_kerma_from(images: list[Any]) -> float | None:
    for img in images:
        for key in ("air_kerma_Gy", "detector_air_kerma_Gy"):
            value = img.metadata.get(key)
            if isinstance(value, int | float) and value > 0:
                return float(value)
    return None


def dqe_command(
    flats: Annotated[list[Path], typer.Argument(help="Flat-field images for the NNPS.")],
    edge: Annotated[Path, typer.Option(help="Slanted-edge image for the MTF.")],
    air_kerma: Annotated[str | None, typer.Option(
        help="Air kerma at the detector for the flat fields, e.g. 2.5uGy (bare numbers are "
             "µGy); default: the flat fields' metadata (air_kerma_Gy).")] = None,
    beam: Annotated[str, typer.Option(help=_BEAM_HELP)] = "RQA5",
    q: Annotated[float | None, typer.Option(
        help="Photon fluence per air kerma in photons mm⁻² µGy⁻¹, instead of the beam's.")] =
        None,
    pixel_pitch: Annotated[str | None, typer.Option(help=_PITCH_HELP)] = None,
    roi: Annotated[str | None, typer.Option(
        help="Edge region ROW0:ROW1,COL0:COL1; default: found automatically.")] = None,
    roi_size: Annotated[int, typer.Option(help="NPS ROI side in pixels (IEC: 256).")] = 256,
    area: Annotated[str, typer.Option(
        help="NPS area: iec, full, or ROW0:ROW1,COL0:COL1.")] = "iec",
    direction: Annotated[str | None, typer.Option(
        help="NNPS cut: horizontal, vertical or radial (default: that of the MTF).")] = None,
    shape: Annotated[str | None, typer.Option(help=_SHAPE_HELP)] = None,
    dtype: Annotated[str | None, typer.Option(help=_DTYPE_HELP)] = None,
    offset: Annotated[int, typer.Option(help=_OFFSET_HELP)] = 0,
    bit_depth: BitDepthOpt = None,
    conversion_function: ConversionOpt = None,
    conversion_order: ConversionOrderOpt = "pixel,value",
    conversion_interpolation: ConversionInterpOpt = "linear",
    allow_saturation: AllowSaturationOpt = False,
    allow_air_kerma_mismatch: Annotated[bool, typer.Option(
        help="With a conversion function to air kerma: compute the DQE with --air-kerma "
             "even when the flat fields' converted mean differs from it by more than "
             "25 % (a warning instead of a refusal).")] = False,
    json_out: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
    plot: Annotated[Path | None, typer.Option(help="Write the DQE plot to this PNG.")] = None,
) -> None:
    """Detective quantum efficiency, DQE(f) = MTF² / (q · K · NNPS) (IEC 62220-1-1:2015).

    Prints DQE at 0.5 lp/mm steps, q from the beam spectrum beside the standard's value.
    """
    from perovx.errors import InputError
    from perovx.metrics.dqe import detective_quantum_efficiency
    from perovx.metrics.mtf import slanted_edge_mtf
    from perovx.metrics.nps import noise_power_spectrum
    from perovx.units import parse_quantity

    _check_plot(plot)
    conv = _conversion(conversion_function, conversion_order, conversion_interpolation)
    edge_img = _load(edge, pixel_pitch, shape, dtype, offset, bit_depth)
    flat_imgs = [_load(p, pixel_pitch, shape, dtype, offset, bit_depth) for p in flats]
    if air_kerma is not None:
        kerma = parse_quantity(air_kerma, "Gy", name="--air-kerma", default_unit="uGy",
                               minimum=0, allow_zero=False)
    else:
        found = _air_kerma_from(flat_imgs)
        if found is None:
            raise InputError(
                "--air-kerma: the air kerma of the flat fields is not in their metadata; "
                "give it, e.g. --air-kerma 2.5uGy"
            )
        kerma = found
    if q is not None and not q > 0:
        raise InputError(f"--q must be a positive number of photons per mm² per µGy, got {q}")
    m = slanted_edge_mtf(edge_img, roi=None if roi is None else _parse_roi(roi, name="--roi"),
                         allow_saturation=allow_saturation, conversion=conv)
    n = _nps(noise_power_spectrum, flat_imgs, roi_size, area, "poly2", False, conv)
    result = detective_quantum_efficiency(
        m, n, air_kerma_Gy=kerma, beam=beam,
        q_per_m2_per_Gy=None if q is None else q * 1e12, direction=direction,
        allow_air_kerma_mismatch=allow_air_kerma_mismatch,
    )
    _save_plot(result, plot)
    if json_out:
        dump_json({"edge_file": str(edge), "flat_files": [str(p) for p in flats],
                   "mtf50_lp_per_mm": None if m.mtf50_per_m is None else m.mtf50_per_m * 1e-3,
                   "edge_angle_deg": m.edge_angle_deg, **result.to_dict()})
        return
    d = result.to_dict()
    typer.echo(f"DQE ({result.direction}), beam {beam}, air kerma {kerma * 1e6:.4g} µGy")
    iec = d["q_iec_62220_1_1_2015_per_mm2_per_uGy"]
    typer.echo(f"  q = {d['q_per_mm2_per_uGy']:.0f} photons mm⁻² µGy⁻¹ ({result.q_source})"
               + ("" if iec is None else f"; IEC 62220-1-1:2015: {iec:.0f} "
                  f"({d['q_difference_from_iec_2015_percent']:+.1f} %)"))
    typer.echo("  f (lp/mm)   MTF     DQE")
    for row in d["dqe_table"]:
        f = row["frequency_lp_per_mm"] * 1e3
        typer.echo(f"  {row['frequency_lp_per_mm']:8.2f}   "
                   f"{float(m.mtf_at(f)):.3f}   {row['dqe']:.3f}")
    for note in result.notes:
        typer.echo(f"  note: {note}")
    for warning in result.warnings:
        typer.echo(f"  warning: {warning}")
    if plot is not None:
        typer.echo(f"  plot written to {plot}")


def _parse_group(text: str) -> tuple[float, tuple[int, int, int, int]]:
    from perovx.errors import InputError

    if "@" not in text:
        raise InputError(
            f"--group: cannot read {text!r}; expected FREQ@ROW0:ROW1,COL0:COL1 with FREQ "
            "in lp/mm, e.g. 2.5@120:180,40:300"
        )
    freq_text, roi_text = text.split("@", 1)
    freq_text = freq_text.strip().lower().removesuffix("lp/mm").strip()
    try:
        freq = float(freq_text)
    except ValueError:
        raise InputError(f"--group: frequency {freq_text!r} is not a number of lp/mm") from None
    if not freq > 0:
        raise InputError(f"--group: frequency must be positive, got {freq} lp/mm")
    return freq * 1e3, _parse_roi(roi_text, name="--group")


def linepairs_command(
    image: Annotated[Path, typer.Argument(help="Image of a line-pair (bar) phantom.")],
    group: Annotated[list[str], typer.Option(
        help="A bar group: FREQ@ROW0:ROW1,COL0:COL1 (lp/mm, pixels); repeat per group.")],
    open_roi: Annotated[str | None, typer.Option(
        help="Open-beam region ROW0:ROW1,COL0:COL1 for the reference contrast.")] = None,
    bar_roi: Annotated[str | None, typer.Option(
        help="Region behind bar material ROW0:ROW1,COL0:COL1 for the reference contrast.")] =
        None,
    threshold: Annotated[float, typer.Option(
        help="Relative CTF counted as resolved (0–1).")] = 0.1,
    pixel_pitch: Annotated[str | None, typer.Option(help=_PITCH_HELP)] = None,
    shape: Annotated[str | None, typer.Option(help=_SHAPE_HELP)] = None,
    dtype: Annotated[str | None, typer.Option(help=_DTYPE_HELP)] = None,
    offset: Annotated[int, typer.Option(help=_OFFSET_HELP)] = 0,
    bit_depth: BitDepthOpt = None,
    conversion_function: ConversionOpt = None,
    conversion_order: ConversionOrderOpt = "pixel,value",
    conversion_interpolation: ConversionInterpOpt = "linear",
    json_out: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
    plot: Annotated[Path | None, typer.Option(help="Write the CTF plot to this PNG.")] = None,
) -> None:
    """Contrast (CTF) of each bar group of a line-pair phantom and the highest resolved one."""
    from perovx.metrics.linepairs import line_pair_ctf

    _check_plot(plot)
    conv = _conversion(conversion_function, conversion_order, conversion_interpolation)
    img = _load(image, pixel_pitch, shape, dtype, offset, bit_depth)
    result = line_pair_ctf(
        img, [_parse_group(g) for g in group],
        open_roi=None if open_roi is None else _parse_roi(open_roi, name="--open-roi"),
        bar_roi=None if bar_roi is None else _parse_roi(bar_roi, name="--bar-roi"),
        threshold=threshold, conversion=conv,
    )
    _save_plot(result, plot)
    if json_out:
        dump_json({"file": str(image), **result.to_dict()})
        return
    d = result.to_dict()
    typer.echo(f"Line pairs of {image} (CTF relative to the {result.reference})")
    typer.echo("  group   lp/mm    CTF     relative  resolved")
    for g in d["groups"]:
        typer.echo(f"  {g['group']:5d}   {g['frequency_lp_per_mm']:6.2f}   {g['ctf']:.3f}   "
                   f"{g['ctf_relative']:.3f}     {'yes' if g['resolved'] else 'no'}"
                   + ("  (beyond Nyquist)" if g["beyond_nyquist"] else ""))
    hr = d["highest_resolved_lp_per_mm"]
    typer.echo("  highest resolved: " + ("none" if hr is None else
                                        f"group {d['highest_resolved_group']}, {hr:.2f} lp/mm"))
    for note in result.notes:
        typer.echo(f"  note: {note}")
    if plot is not None:
        typer.echo(f"  plot written to {plot}")


def register(app: typer.Typer) -> None:
    """Add ``mtf``, ``nps``, ``dqe`` and ``linepairs`` to the application."""
    app.command("mtf")(handle_errors(mtf_command))
    app.command("nps")(handle_errors(nps_command))
    app.command("dqe")(handle_errors(dqe_command))
    app.command("linepairs")(handle_errors(linepairs_command))

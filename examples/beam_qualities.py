"""The IEC 61267 beam qualities of perovx: first HVL, mean energy and q.

Run: ``python examples/beam_qualities.py``
"""

from __future__ import annotations

from perovx.spectra import QUALITIES, get_beam


def main() -> None:
    print(f"{'quality':<8}{'kVp':>5}{'HVL1 mm Al':>12}{'(IEC)':>8}{'mean keV':>10}"
          f"{'q mm⁻² µGy⁻¹':>15}")
    for name, quality in QUALITIES.items():
        beam = get_beam(name)
        print(f"{name:<8}{quality.kvp:>5.0f}{beam.hvl1_m_Al * 1e3:>12.3f}"
              f"{quality.hvl1_m_Al * 1e3:>8.2f}{beam.mean_energy_keV:>10.1f}"
              f"{beam.q_per_mm2_per_uGy:>15.0f}")


if __name__ == "__main__":
    main()

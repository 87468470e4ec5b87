"""Metrics: figures of merit predicted from properties or measured from data."""

__all__ = ["DetectorFigures", "evaluate"]
__all__ += [
    "DQEResult",
    "LinePairGroup",
    "LinePairResult",
    "MTFResult",
    "NPSResult",
    "detective_quantum_efficiency",
    "line_pair_ctf",
    "noise_power_spectrum",
    "slanted_edge_mtf",
]

# Everything loads on first use, so `perovx evaluate` pays only for the detector model
# and not for the image metrics or the lab toolkit (``perovx.metrics.lab``).
_LAZY = {
    "DetectorFigures": "perovx.metrics.detector",
    "evaluate": "perovx.metrics.detector",
    "DQEResult": "perovx.metrics.dqe",
    "detective_quantum_efficiency": "perovx.metrics.dqe",
    "LinePairGroup": "perovx.metrics.linepairs",
    "LinePairResult": "perovx.metrics.linepairs",
    "line_pair_ctf": "perovx.metrics.linepairs",
    "MTFResult": "perovx.metrics.mtf",
    "slanted_edge_mtf": "perovx.metrics.mtf",
    "NPSResult": "perovx.metrics.nps",
    "noise_power_spectrum": "perovx.metrics.nps",
    "lab": "perovx.metrics.lab",
}


def __getattr__(name: str) -> object:
    import importlib

    if name not in _LAZY:
        raise AttributeError(f"module 'perovx.metrics' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = module if _LAZY[name].endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

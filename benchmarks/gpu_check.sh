#!/usr/bin/env bash
# The GPU checks of perovx in one run, on a machine with an NVIDIA GPU:
#   1. benchmarks/bench_mc.py with the CUDA back-end (arguments: $BENCH_MC_ARGS, default
#      "4e6 --gpu-sweep"; with --gpu-registers the best register cap found is used by
#      the next two steps through PEROVX_CUDA_MAX_REGISTERS),
#   2. the GPU tests (pytest -m gpu: CUDA histories against the CPU's, statistically),
#   3. the full Monte Carlo frame of a 1024 x 1024 panel at RQA5 and 2.5 uGy on the GPU
#      (benchmarks/bench_imaging.py --full-mc-backend cuda).
# Logs and JSON figures go to $1 (default: $OUT, else /tmp/perovx-gpu).
#
# On a machine without network access, perovx's missing dependencies travel as wheels in
# .whl/ and the beam spectra as a perovx cache in .gpuhome/ (spekpy itself, 164 MB, is too
# large to travel). Where perovx is installed normally, neither folder is needed. To make
# them where pip and spekpy work (the GPU machine's python was 3.12 with numpy, scipy,
# numba, numba-cuda, xarray, matplotlib, typer and rich already there):
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 -d .whl \
#     xraylib xraydb sqlalchemy pydantic pydantic_core annotated-types typing-inspection \
#     typing_extensions pint flexcache flexparser platformdirs uncertainties dask tblib \
#     lazy-importer importlib_metadata zipp cffi pycparser
#   PEROVX_HOME=$PWD/.gpuhome NUMBA_ENABLE_CUDASIM=1 python benchmarks/bench_imaging.py \
#     --size 0 --panel 0 --full-mc-size 4 --full-mc-backend cuda --full-mc-kerma 3e-10
#     (a 4 x 4 frame on numba's CUDA simulator: caches the RQA5 spectrum and the tables)
#   python -c "import importlib.metadata as m; print(m.version('spekpy'))" \
#     > .gpuhome/spekpy-version
set -uo pipefail
out=${1:-${OUT:-/tmp/perovx-gpu}}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
py=python3
if [ -d .whl ]; then
    $py -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/perovx-site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/perovx-site
fi
if [ -d .gpuhome ]; then
    home=/tmp/perovx-gpu-home
    rm -rf "$home" && cp -r .gpuhome "$home"
    export PEROVX_HOME=$home
    if ! $py -c "import spekpy" 2>/dev/null; then
        # the cached spectra's key names the spekpy version that made them
        ver=$(cat .gpuhome/spekpy-version 2>/dev/null || echo unknown)
        mkdir -p /tmp/perovx-site/spekpy-"$ver".dist-info
        printf 'Metadata-Version: 2.1\nName: spekpy\nVersion: %s\n' "$ver" \
            > /tmp/perovx-site/spekpy-"$ver".dist-info/METADATA
    fi
fi
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH}
if ! $py -c "import numpy; numpy.row_stack" 2>/dev/null; then
    # numba-cuda releases before numpy 2.5 still register np.row_stack (removed in 2.5,
    # an alias of vstack before): restore the alias for this run only
    mkdir -p /tmp/perovx-site
    $py -c "import sitecustomize; print('replacing', sitecustomize.__file__)" 2>/dev/null
    printf 'import numpy\nif not hasattr(numpy, "row_stack"):\n    numpy.row_stack = numpy.vstack\n' \
        > /tmp/perovx-site/sitecustomize.py
    case ":$PYTHONPATH:" in *:/tmp/perovx-site:*) ;; *) export PYTHONPATH=$PYTHONPATH:/tmp/perovx-site ;; esac
fi

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm \
    --format=csv 2>&1 | tee "$out/gpu.txt"
$py -c "import sys, numpy, numba; print(sys.version.split()[0], 'numpy', numpy.__version__,
'numba', numba.__version__)" 2>&1 | tee -a "$out/gpu.txt"
$py -c "import importlib.metadata as m; print('numba-cuda', m.version('numba-cuda'))" \
    2>&1 | tee -a "$out/gpu.txt"

echo "== bench_mc"
# shellcheck disable=SC2086
timeout 300 $py benchmarks/bench_mc.py ${BENCH_MC_ARGS:-4e6 --gpu-sweep} \
    --json "$out/bench_mc.json" 2>&1 | tee "$out/bench_mc.log"
cap=$($py -c "import json, sys; d = json.load(open(sys.argv[1]));
b = d.get('gpu', {}).get('best'); print(b['cap'] if b else '')" "$out/bench_mc.json" 2>/dev/null)
if [ -n "$cap" ]; then
    export PEROVX_CUDA_MAX_REGISTERS=$cap
    echo "register cap for the next steps: $cap"
fi
echo "== pytest -m gpu"
timeout 300 $py -m pytest -p no:cacheprovider -q -s -m gpu tests/interaction/test_mc_cuda.py \
    2>&1 | tee "$out/pytest_gpu.log"
echo "== full Monte Carlo imaging on the GPU"
timeout 300 $py benchmarks/bench_imaging.py --size 0 --panel 0 --full-mc-size 1024 \
    --full-mc-backend cuda --json "$out/full_mc_gpu.json" 2>&1 | tee "$out/full_mc_gpu.log"
nvidia-smi --query-gpu=clocks.sm,temperature.gpu,power.draw --format=csv 2>&1 | tee -a "$out/gpu.txt"

"""Layout of the flat arrays that carry the Monte Carlo tables into the kernels.

The kernels (CPU and CUDA) receive every table packed into two 1-D arrays, ``F``
(float64) and ``IX`` (int64), so that the same device functions compile for both
targets with a short signature. The first slots of each array are a header: scalars and
the offsets of the tables that follow. The names below are those slots; they are
module-level integers, which numba freezes into the compiled code as constants.
"""

from __future__ import annotations

__all__: list[str] = []  # internal to the montecarlo package

# ---------------------------------------------------------------- F header (float64)
F_LOGE0 = 0  # ln of the first energy of the grid (keV)
F_INVDLOG = 1  # 1 / step of the log-uniform energy grid
F_DLOG = 2  # step of the log-uniform energy grid
F_CUT = 3  # photon cut-off energy, keV
F_FPEAK = 4  # full-energy-peak threshold, fraction of the incident energy
F_WX = 5  # lateral half-width of the world, x, m (inf: laterally infinite)
F_WY = 6  # lateral half-width of the world, y, m
F_SZ0 = 7  # front face z of the sensitive layer, m
F_SZ1 = 8  # back face z of the sensitive layer, m
F_DINVDZ = 9  # depth bins per metre in the sensitive layer
F_PHINV = 10  # pulse-height bins per keV
F_GX0 = 11  # lower x edge of the 3-D tally grid, m
F_GY0 = 12  # lower y edge of the 3-D tally grid, m
F_GINVDX = 13  # 1 / lateral bin width of the grid in x, 1/m
F_GINVDY = 14  # 1 / lateral bin width of the grid in y, 1/m
F_GINVDZ = 15  # grid depth bins per metre
F_SZINVDT = 16  # 1 / step of the sqrt(x) grid of the incoherent scattering function
F_SRC = 20  # 16 slots of source parameters (see SRC_*)
NFH = 40

# source parameters, F[F_SRC + k]
SRC_TYPE = 0  # 0 pencil, 1 broad parallel field, 2 point source, 3 fluence map
SRC_X = 1  # entry point (pencil) or field (map) centre on z = 0, m
SRC_Y = 2
SRC_U = 3  # direction cosines (pencil and parallel)
SRC_V = 4
SRC_W = 5
SRC_HX = 6  # half-widths of the field (the whole map) on z = 0, m
SRC_HY = 7
SRC_PX = 8  # point-source position, m (z < 0)
SRC_PY = 9
SRC_PZ = 10
SRC_COSMAX = 11  # largest cos(angle to the normal) over the field (point source)

# ---------------------------------------------------------------- IX header (int64)
I_NE = 0  # points of the energy grid
I_NL = 1  # layers
I_SENS = 2  # index of the sensitive layer
I_NCH = 3  # channel slots per material
I_NT = 4  # transition slots per vacancy shell
I_NX = 5  # points of the sqrt(x) grid of S(x)/Z
I_NU = 6  # points of the x^2 grid of the Rayleigh form-factor integral
I_NSH = 7  # shell slots per element for Doppler broadening
I_NP = 8  # points of each inverse Compton-profile table
I_NSPEC = 9  # lines of the source spectrum
I_NPH = 10  # pulse-height bins
I_NZ = 11  # depth bins in the sensitive layer
I_GNX = 12  # grid bins in x
I_GNY = 13  # grid bins in y
I_GNZ = 14  # grid bins in depth
I_GRID = 15  # 1 when the 3-D grid is tallied
I_FLUOR = 16  # 1: atomic relaxation with fluorescence; 0: photoabsorbed energy local
I_DOPPLER = 17  # 1: Compton with Doppler broadening (impulse approximation)
I_BINDING = 18  # 1: Klein-Nishina rejected with S(x, Z)/Z
I_ERANGE = 19  # 1: electron energy spread over the electron range
I_NSMALL = 20  # length of the small tally vector
I_NBIG = 21  # length of the grid tally vector
I_TLAYER = 22  # offsets in the small tally vector
I_TPH = 23
I_TDEPTH = 24
I_TFIRST = 25
I_TLINES = 26
I_NG = 27  # elements
I_MAPNX = 28  # fluence map: cells in x
I_MAPNY = 29  # fluence map: cells in y
I_MAPNE = 30  # fluence map: energy planes (0: the spectrum is shared by all cells)
I_MAPN = 31  # fluence map: entries of its cumulative table
O_LZ0 = 32  # ---- offsets of the tables (F or IX as marked)
O_LZ1 = 33  # F
O_LHX = 34  # F
O_LHY = 35  # F
O_LRNG = 36  # F  electron range coefficient, m keV^-1.67
O_LMU = 37  # F  linear attenuation coefficient [layer, energy], 1/m
O_LMAT = 38  # IX material of each layer
O_MNCH = 39  # IX channels of each material
O_MCHEL = 40  # IX element of each channel [material, channel]
O_MCHTY = 41  # IX type of each channel (0 photo, 1 Compton, 2 Rayleigh)
O_MCUM = 42  # F  cumulative channel probability [material, energy, channel]
O_GSH = 43  # F  cumulative shell probability of photoabsorption [element, energy, 4]
O_GB = 44  # F  binding energies K, L1, L2, L3, outer (0) [element, 5], keV
O_RXN = 45  # IX transitions of each vacancy shell [element, 4]
O_RXCUM = 46  # F  cumulative transition probability [element, shell, transition]
O_RXE = 47  # F  photon energy of the transition (0: non-radiative), keV
O_RXV1 = 48  # IX first new vacancy (1..3 = L1..L3, 4 outer, -1 none)
O_RXV2 = 49  # IX second new vacancy
O_RXIE = 50  # IX energy-grid index of the line
O_RXFR = 51  # F  energy-grid fraction of the line
O_SZ = 52  # F  S(x, Z)/Z on the sqrt(x) grid [element, NX]
O_RU = 53  # F  x^2 grid of the form-factor integral (NU), 1/Angstrom^2
O_RA = 54  # F  integral of F(x, Z)^2 d(x^2) [element, NU]
O_RAMAX = 55  # F  the integral up to x_max(E) [element, energy]
O_DN = 56  # IX shells of each element used for Doppler broadening
O_DCUM = 57  # F  cumulative occupation of the shells [element, NSH]
O_DU = 58  # F  binding energies of the shells [element, NSH], keV
O_DPZ = 59  # F  inverse CDF of |p_z| per shell [element, NSH, NP], atomic units
O_SPE = 60  # F  energies of the spectrum, keV
O_SPQ = 61  # F  alias-method acceptance probabilities
O_SPA = 62  # IX alias-method aliases
O_SPIE = 63  # IX energy-grid index of each spectral energy
O_SPFR = 64  # F  energy-grid fraction of each spectral energy
O_SPW = 65  # F  width of each spectral bin, keV (0: a line)
O_TRIG = 66  # F  (cos, sin) of 2π k / NTRIG, k = 0 … NTRIG − 1
O_MAPCDF = 67  # F  cumulative probability of the map's [plane,] cell (flattened, last = 1)
# whole relaxation cascades of a vacancy, sampled in one draw (alias method)
O_CXOFF = 68  # IX first cascade of each [element, shell]; one more entry closes the last
O_CXQ = 69  # F  alias acceptance probability of each cascade
O_CXA = 70  # IX alias (a cascade index) of each cascade
O_CXLOC = 71  # F  energy the cascade deposits on the spot, keV
O_CXP0 = 72  # IX first photon of each cascade; one more entry closes the last
O_CXPK = 73  # IX transition index (g·4 + shell)·NT + t of each cascade photon
O_CXPE = 74  # F  energy of each cascade photon, keV
# guide table of the Rayleigh form-factor integral (where a search of O_RA starts)
O_RG = 75  # IX last index i with O_RA[g, i] <= k·A_g/NRG, [element, NRG]
O_RGS = 76  # F  NRG / A_g (A_g: the element's whole integral), [element]
O_LNMU = 77  # F  linear attenuation coefficient of each layer at each line, [line, layer]
NRG = 1024
NTRIG = 256
NIH = 80

# ---------------------------------------------------------------- photon stack fields
P_X, P_Y, P_Z, P_U, P_V, P_W, P_E = 0, 1, 2, 3, 4, 5, 6
P_KIND, P_LINE, P_LAYER, P_IN, P_IE, P_FR = 7, 8, 9, 10, 11, 12
NPF = 13
# kinds of photon
KIND_PRIMARY = 0  # source photon that has not interacted
KIND_SCATTERED = 1  # scattered photon (or fluorescence that Compton-scattered)
KIND_FLUOR_K = 2  # fluorescence line from a K vacancy (unchanged energy)
KIND_FLUOR_L = 3  # fluorescence line from an L vacancy

# ---------------------------------------------------------------- per-history info
INF_ESC = 0  # 9 slots: escaped energy [face(front, back, side) * 3 + class]
INF_NK = 9  # K-line photons that left the sensitive layer
INF_NL = 10  # L-line photons that left the sensitive layer
INF_ELINES = 11  # energy of those photons, keV
INF_LINE = 12  # transition index of the last of them
INF_EINC = 13  # incident energy, keV
INF_FIRSTL = 14  # layer of the first interaction of the primary (-1: none)
INF_FIRSTZ = 15  # depth of that interaction, m
INF_OVF = 16  # photons or deposits that did not fit in the buffers
NINFO = 17

# ---------------------------------------------------------------- per-batch statistics
S_N = 0  # histories
S_EINC = 1  # sum of incident energies, keV
S_DEP = 2  # sum of energy deposited in the sensitive layer, keV
S_DEP2 = 3  # sum of its square, keV^2
S_DEPALL = 4  # sum of energy deposited in all layers, keV
S_NPOS = 5  # histories depositing > 0 in the sensitive layer
S_NFULL = 6  # histories depositing >= F_FPEAK * incident energy in the sensitive layer
S_NFIRST = 7  # primaries whose first interaction is in the sensitive layer
S_NINT = 8  # primaries that interact anywhere
S_KESC = 9  # sharp K-escape events in the sensitive layer
S_LESC = 10  # sharp L-escape events
S_ESC = 11  # 9 slots: escaped energy by face and class, keV
S_ERR = 20  # largest |incident - deposited - escaped| of one history, keV (a maximum)
S_OVF = 21  # buffer overflows (energy deposited on the spot instead)
S_EINC2 = 22  # sum of squared incident energies, keV^2
NS = 23

# buffer sizes
MAXST = 32  # photon stack
MAXV = 8  # vacancy stack
MAXDEP = 64  # energy deposits of one history

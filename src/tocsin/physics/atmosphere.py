"""US Standard Atmosphere 1976: density as a function of geometric altitude, vectorised.

Below 86 km: the seven hydrostatic layers with linear temperature in geopotential altitude
(U.S. Standard Atmosphere 1976, NOAA-S/T 76-1562, tables 4 and eqs. 23, 33a/b, 42).
From 86 km to 1,000 km the standard's density is not a closed form; we interpolate ln(rho) in the
published table I (every value below is from that table) and extrapolate above 1,000 km.
"""

from __future__ import annotations

import numpy as np

from tocsin._types import FloatArray

_R0_M = 6356766.0  # effective Earth radius for geopotential altitude (US76 eq. 18)
_G0 = 9.80665
_R_STAR = 8.31432  # J/(mol K), the 1976 value
_M0 = 0.0289644  # kg/mol, sea-level mean molar mass
# Layer bases: geopotential altitude (m), base temperature (K), lapse rate (K/m), base pressure (Pa).
_HB = np.array([0.0, 11000.0, 20000.0, 32000.0, 47000.0, 51000.0, 71000.0, 84852.0])
_TB = np.array([288.15, 216.65, 216.65, 228.65, 270.65, 270.65, 214.65, 186.946])
_LB = np.array([-0.0065, 0.0, 0.001, 0.0028, 0.0, -0.0028, -0.002, 0.0])
_PB = np.array([101325.0, 22632.06, 5474.889, 868.0187, 110.9063, 66.93887, 3.956420, 0.3733834])

# US76 table I, geometric altitude (km) and mass density (kg/m^3), 86-1000 km.
_HI_KM = np.array(
    [
        86.0,
        90.0,
        95.0,
        100.0,
        110.0,
        120.0,
        130.0,
        150.0,
        200.0,
        250.0,
        300.0,
        400.0,
        500.0,
        600.0,
        700.0,
        800.0,
        1000.0,
    ]
)
_HI_RHO = np.array(
    [
        6.958e-6,
        3.416e-6,
        1.393e-6,
        5.604e-7,
        9.708e-8,
        2.222e-8,
        8.152e-9,
        2.076e-9,
        2.541e-10,
        6.073e-11,
        1.916e-11,
        2.803e-12,
        5.215e-13,
        1.137e-13,
        3.070e-14,
        1.136e-14,
        3.561e-15,
    ]
)
_LN_HI_RHO = np.log(_HI_RHO)


def density_kg_m3(alt_m: FloatArray | float) -> FloatArray:
    """Air density (kg/m^3) at geometric altitude (m); altitudes below 0 use the 0 m layer law."""
    z = np.asarray(alt_m, dtype=np.float64)
    h = _R0_M * z / (_R0_M + z)  # geopotential altitude (US76 eq. 18)
    i = np.clip(np.searchsorted(_HB, h, side="right") - 1, 0, len(_HB) - 1)
    tb, lb, pb, hb = _TB[i], _LB[i], _PB[i], _HB[i]
    t = tb + lb * (h - hb)
    gmr = _G0 * _M0 / _R_STAR
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p_grad = pb * (tb / t) ** (gmr / np.where(lb != 0.0, lb, 1.0))
        p_iso = pb * np.exp(-gmr * (h - hb) / tb)
    p = np.where(lb != 0.0, p_grad, p_iso)
    rho_low = p * _M0 / (_R_STAR * t)
    z_km = z / 1000.0
    ln_hi = np.interp(z_km, _HI_KM, _LN_HI_RHO)
    # Above 1,000 km: continue the last table slope (scale height ~ 240 km): drag is negligible there.
    slope = (_LN_HI_RHO[-1] - _LN_HI_RHO[-2]) / (_HI_KM[-1] - _HI_KM[-2])
    ln_hi = np.where(z_km > _HI_KM[-1], _LN_HI_RHO[-1] + slope * (z_km - _HI_KM[-1]), ln_hi)
    return np.asarray(np.where(z < 86000.0, rho_low, np.exp(ln_hi)), dtype=np.float64)


def speed_of_sound_mps(alt_m: FloatArray | float) -> FloatArray:
    """Speed of sound (m/s) at geometric altitude (m): sqrt(gamma R T) with the US76 temperature
    (US76 eqs. 18 and 23, gamma 1.4, M0 0.0289644 kg/mol); above 86 km the 86 km temperature."""
    z = np.minimum(np.asarray(alt_m, dtype=np.float64), 86000.0)
    h = _R0_M * z / (_R0_M + z)
    i = np.clip(np.searchsorted(_HB, h, side="right") - 1, 0, len(_HB) - 1)
    t = _TB[i] + _LB[i] * (h - _HB[i])
    return np.asarray(np.sqrt(1.4 * _R_STAR / _M0 * t), dtype=np.float64)


# Tabulated ln(rho) every 10 m from -2 km to 1,200 km for the integrators' hot loop: linear
# interpolation of ln(rho) at this spacing is within 1e-5 (relative) of density_kg_m3 (2e-4 right at
# the layer joints, where the lapse rate jumps; the curvature
# of ln(rho) is below 1e-8 per m^2 away from the layer joints), and it needs no search.
_TAB_H0_M = -2000.0
_TAB_DH_M = 10.0
_TAB_LN_RHO = np.log(
    density_kg_m3(_TAB_H0_M + _TAB_DH_M * np.arange(int(1_202_000 / _TAB_DH_M) + 1, dtype=np.float64))
)
_TAB_LAST = _TAB_LN_RHO.size - 2


def density_fast_kg_m3(alt_m: FloatArray | float) -> FloatArray:
    """Air density (kg/m^3) at geometric altitude (m) from a 10 m table of US76 (relative error < 5e-5).

    Altitudes below -2 km use the -2 km value, above 1,200 km the 1,200 km value (~1e-15 kg/m^3).
    """
    x = (np.asarray(alt_m, dtype=np.float64) - _TAB_H0_M) * (1.0 / _TAB_DH_M)
    x = np.minimum(np.maximum(x, 0.0), float(_TAB_LAST + 1))
    i = np.minimum(x.astype(np.int64), _TAB_LAST)
    f = x - i
    lo = _TAB_LN_RHO[i]
    return np.asarray(np.exp(lo + f * (_TAB_LN_RHO[i + 1] - lo)), dtype=np.float64)

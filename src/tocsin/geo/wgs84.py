"""WGS-84 defining constants and the Earth-model constants the physics uses.

Source: NGA TR8350.2 (WGS-84, 3rd ed., 2000), tables 3.1 and 3.3; J2 from EGM96 (C20 unnormalised).
"""

from __future__ import annotations

import math

A_M = 6378137.0  # semi-major axis
F = 1.0 / 298.257223563  # flattening
B_M = A_M * (1.0 - F)  # semi-minor axis
E2 = F * (2.0 - F)  # first eccentricity squared
EP2 = E2 / (1.0 - E2)  # second eccentricity squared
GM_M3_S2 = 3.986004418e14  # gravitational parameter including the atmosphere
OMEGA_RAD_S = 7.292115e-5  # Earth rotation rate
J2 = 1.08263e-3  # second zonal harmonic
MEAN_RADIUS_M = (2.0 * A_M + B_M) / 3.0  # IUGG mean radius R1
DEG = math.pi / 180.0

"""tocsin.sim: scenario files, sensor models and the simulator that writes contract files.

- :mod:`tocsin.sim.scenario`: YAML scenario schema and loader (``load_scenario``, ``bundled_names``).
- :mod:`tocsin.sim.sensors`: radar and space-infrared measurement models, vectorised.
- :mod:`tocsin.sim.truth`: many sampled trajectories queried at any times (cubic Hermite).
- :mod:`tocsin.sim.zonegen`: zone shapes and the hexagon grid generator.
- :mod:`tocsin.sim.simulate`: ``simulate(scenario, out_dir, seed, progress) -> SimulationSummary``.

Bundled scenarios live in ``tocsin/sim/scenarios/*.yaml``.
"""

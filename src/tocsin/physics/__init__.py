"""Trajectory physics: atmosphere, equations of motion, propagation, class catalogue, aim solver."""

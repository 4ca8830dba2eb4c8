"""Real MQTT and NATS servers for the adapter tests: the machine's own on the standard ports, else one
started here on a free port (stopped by PID at the end); skip only when neither is possible."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(cmd: list[str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15.0
    while time.monotonic() < deadline:
        if port_open(port):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    pytest.skip(f"could not start {cmd[0]} on port {port}")


def mosquitto_url(tmp: Path) -> Iterator[str]:
    """``mqtt://`` URL of a running Mosquitto."""
    if port_open(1883):
        yield "mqtt://127.0.0.1:1883"
        return
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(exe).exists():
        pytest.skip("no MQTT broker on 1883 and no mosquitto to start")
    port = free_port()
    conf = tmp / "mosquitto.conf"
    # Mosquitto 2 refuses anonymous clients once a listener is declared (ecosystem.md section 6).
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n")
    proc = _serve([exe, "-c", str(conf)], port)
    try:
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(10)


def nats_url(tmp: Path) -> Iterator[str]:
    """``nats://`` URL of a running NATS server with JetStream."""
    if port_open(4222):
        yield "nats://127.0.0.1:4222"
        return
    exe = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not Path(exe).exists():
        pytest.skip("no NATS server on 4222 and no nats-server to start")
    port = free_port()
    proc = _serve([exe, "-js", "-sd", str(tmp / "js"), "-a", "127.0.0.1", "-p", str(port)], port)
    try:
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(10)

"""The ``tocsin`` command line (contract section 6): simulate, track, run, replay, evaluate.

Commands import their stage lazily so that ``tocsin --help`` stays fast. Bad input anywhere becomes
one message naming file, place and field on standard error and exit status 2.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from tocsin.errors import BadInputError, ServiceError

app = typer.Typer(
    name="tocsin",
    help="Open-source early warning for ballistic missiles, rockets and mortars: sensors to sirens.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

P = ParamSpec("P")
R = TypeVar("R")


def bad_input_exits_2(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`BadInputError` into one stderr line and exit status 2 (contract section 6)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except BadInputError as e:
            print(f"tocsin: bad input: {e}", file=sys.stderr)
            raise typer.Exit(code=2) from None
        except ServiceError as e:
            print(f"tocsin: service unavailable: {e}", file=sys.stderr)
            raise typer.Exit(code=1) from None

    return wrapper


def show_progress() -> bool:
    """Progress bars only for a person at a terminal: not in CI, not when stderr is piped."""
    return sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("1", "true", "yes")


@app.command()
@bad_input_exits_2
def simulate(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or a scenario YAML file.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the five contract files into.")],
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives identical files.")
    ] = 0,
) -> None:
    """Simulate a scenario into DIR: sensors, measurements, zones, truth and events files."""
    from tocsin.cli.simulate_cmd import run_simulate

    run_simulate(scenario, out, seed, progress=show_progress())


@app.command()
@bad_input_exits_2
def track(
    sensors: Annotated[Path, typer.Option("--sensors", help="sensors.json (contract section 1).")],
    measurements: Annotated[str, typer.Option("--measurements", help="measurements.jsonl, or - for stdin.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write tracks.jsonl into.")],
    lag_s: Annotated[float, typer.Option("--lag-s", help="Late-data window (s of data time).")] = 5.0,
) -> None:
    """Track every object: writes tracks.jsonl."""
    from tocsin.cli.run_cmd import run_track

    counts = run_track(sensors, measurements, out, lag_s=lag_s)
    print(
        f"tocsin track: {counts['lines']} lines, {counts['rejected']} skipped, "
        f"{counts['track_rows']} track rows",
        file=sys.stderr,
    )


@app.command()
@bad_input_exits_2
def run(
    sensors: Annotated[Path, typer.Option("--sensors", help="sensors.json (contract section 1).")],
    measurements: Annotated[
        str, typer.Option("--measurements", help="measurements.jsonl, or - for a live stream on stdin.")
    ],
    zones: Annotated[Path, typer.Option("--zones", help="zones.geojson (contract section 3).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    log: Annotated[
        str | None,
        typer.Option("--log", help="Event log: a SQLite file or a database URL (default OUT/events.sqlite)."),
    ] = None,
    posture: Annotated[
        Path | None,
        typer.Option(
            "--posture", help="Operator posture changes, JSON Lines (t_unix_s, posture, zone_ids, kinds)."
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Engine settings, JSON (any subset).")
    ] = None,
    cap_status: Annotated[
        str, typer.Option("--cap-status", help="CAP status: Exercise, Actual, Test, ...")
    ] = "Exercise",
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the run logged in the event log (after a crash or kill): rebuild its state from "
            "the log, then read the new input; records the feed re-sends are dropped as repeats.",
        ),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Delete an earlier run in --out (its event log, tracks, predictions, alerts, CAP): "
            "without it (or --resume) an earlier run is moved to OUT/earlier-runs/N/ first.",
        ),
    ] = False,
    tick_s: Annotated[
        float | None,
        typer.Option(
            "--tick-s",
            help="Live stream only: after this many seconds of silence on stdin (wall clock), let the "
            "clock run on so all clears and shelter deadlines still fall due; ticks are logged for replay.",
        ),
    ] = None,
) -> None:
    """The whole warning chain: tracks, predictions, alerts, CAP messages and the event log."""
    from tocsin.cli.run_cmd import run_chain

    counts = run_chain(
        sensors,
        measurements,
        zones,
        out,
        log_target=log,
        postures_path=posture,
        config_path=config,
        cap_status=cap_status,
        progress=show_progress() and measurements != "-",
        resume=resume,
        overwrite=overwrite,
        tick_s=tick_s,
    )
    print(
        f"tocsin run: {counts['lines']} lines, {counts['rejected']} skipped, "
        f"{counts['predictions']} predictions, "
        f"{counts['alerts']} alerts, {counts['cap']} CAP messages -> {out}",
        file=sys.stderr,
    )


@app.command()
@bad_input_exits_2
def replay(
    log: Annotated[str, typer.Argument(help="Event log of a run (events.sqlite or a database URL).")],
) -> None:
    """Re-derive every decision from the logged inputs: exit 0 if identical, 1 naming the first difference."""
    from tocsin.store.eventlog import EventLog, EventLogError
    from tocsin.store.replay import replay_events

    if "://" not in log and not Path(log).is_file():
        raise BadInputError(log, None, None, "no such event log")
    try:
        with EventLog(log, create=False) as ev:
            result = replay_events(ev.iter_events())
    except EventLogError as e:
        raise BadInputError(log, None, None, str(e)) from e
    if result.identical:
        print(f"tocsin replay: {result.n_replayed} decisions re-derived, identical to the log")
        return
    print(f"tocsin replay: DIFFERENT: {result.first_difference}")
    raise typer.Exit(code=1)


@app.command()
@bad_input_exits_2
def evaluate(
    scenario: Annotated[
        Path,
        typer.Option("--scenario", help="Scenario directory (sensors, measurements, zones, truth, events)."),
    ],
    run_dir: Annotated[
        Path, typer.Option("--run", help="Run directory (alerts.jsonl, predictions.jsonl, tracks.jsonl).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory for scorecard.json and the report.")],
    delay_s: Annotated[float, typer.Option("--delay-s", help="Dissemination delay d (s).")] = 3.0,
    baselines: Annotated[
        bool, typer.Option("--baselines", help="Also score the oracle, whole-area and circle baselines.")
    ] = False,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write the after-action report (HTML, PDF).")
    ] = True,
) -> None:
    """Score a run against the scenario's truth (contract section 7): scorecard.json and a report."""
    from tocsin.cli.evaluate_cmd import run_evaluate

    run_evaluate(scenario, run_dir, out, delay_s=delay_s, baselines=baselines, report=report)


# Options shared by the commands that read an alert stream (publish, serve).
AlertsInput = Annotated[
    str, typer.Option("--alerts", help="alerts.jsonl, or - to follow `tocsin run --measurements -`.")
]
FeedZones = Annotated[
    Path | None, typer.Option("--zones", help="zones.geojson: adds each zone's polygon to the messages.")
]


@app.command()
@bad_input_exits_2
def publish(
    alerts: AlertsInput,
    zones: FeedZones = None,
    mqtt: Annotated[
        str | None, typer.Option("--mqtt", help="Siren bridge broker, mqtt://host[:port] (QoS 1, retained).")
    ] = None,
    nats_url: Annotated[
        str | None, typer.Option("--nats", help="NATS JetStream, nats://host[:port] (alerts.zone.<id>).")
    ] = None,
    prefix: Annotated[str, typer.Option("--topic-prefix", help="MQTT topic prefix.")] = "tocsin",
    echo: Annotated[bool, typer.Option("--echo", help="Also write each feed message to stdout.")] = False,
) -> None:
    """Send each alert change to sirens (MQTT) and the bus (NATS) as a tocsin.feed/1 message."""
    from tocsin.cli.service_cmd import run_publish

    n = run_publish(alerts, zones, mqtt, nats_url, prefix, echo)
    print(f"tocsin publish: {n} messages", file=sys.stderr)


@app.command()
@bad_input_exits_2
def serve(
    alerts: AlertsInput,
    zones: FeedZones = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8080,
    exit_on_eof: Annotated[
        bool, typer.Option("--exit-on-eof", help="Stop when the alert input ends (default: keep serving).")
    ] = False,
) -> None:
    """Serve the live alert feed over HTTP: SSE at /feed, /state, /alerts.geojson, a board at /."""
    from tocsin.cli.service_cmd import run_serve

    n = run_serve(alerts, zones, host, port, exit_on_eof)
    print(f"tocsin serve: {n} messages served", file=sys.stderr)


bus_app = typer.Typer(help="Sensor records over NATS JetStream (stream TOCSIN_SENSORS, sensor.<id>).")
app.add_typer(bus_app, name="bus")


@bus_app.command("send")
@bad_input_exits_2
def bus_send(
    measurements: Annotated[str, typer.Option("--measurements", help="measurements.jsonl, or - for stdin.")],
    nats_url: Annotated[str, typer.Option("--nats", help="nats://host[:port]")] = "nats://127.0.0.1:4222",
    speed: Annotated[
        float, typer.Option("--speed", help="Replay pace: 1 = real time, 0 = as fast as possible.")
    ] = 0.0,
    stream: Annotated[str, typer.Option("--stream", help="JetStream stream name.")] = "TOCSIN_SENSORS",
    subject_prefix: Annotated[
        str, typer.Option("--subject-prefix", help="Subjects are PREFIX.<sensor id>.")
    ] = "sensor",
) -> None:
    """Publish measurement records on sensor.<id> (a sensor gateway, or a recording replayed)."""
    from tocsin.cli.service_cmd import run_bus_send

    n = run_bus_send(measurements, nats_url, speed, stream, subject_prefix)
    print(f"tocsin bus send: {n} new records", file=sys.stderr)


@bus_app.command("receive")
@bad_input_exits_2
def bus_receive(
    nats_url: Annotated[str, typer.Option("--nats", help="nats://host[:port]")] = "nats://127.0.0.1:4222",
    durable: Annotated[
        str, typer.Option("--durable", help="Durable consumer name: a restart resumes where it stopped.")
    ] = "tocsin-engine",
    idle_exit_s: Annotated[
        float | None, typer.Option("--idle-exit-s", help="Stop after this long without a record (s).")
    ] = None,
    stream: Annotated[str, typer.Option("--stream", help="JetStream stream name.")] = "TOCSIN_SENSORS",
    subject_prefix: Annotated[
        str, typer.Option("--subject-prefix", help="Subjects are PREFIX.<sensor id>.")
    ] = "sensor",
) -> None:
    """Write the sensor stream to stdout, one record per line, for `tocsin run --measurements -`."""
    from tocsin.cli.service_cmd import run_bus_receive

    try:
        n = run_bus_receive(nats_url, durable, idle_exit_s, stream, subject_prefix)
    except BrokenPipeError:
        raise typer.Exit(code=1) from None
    print(f"tocsin bus receive: {n} records", file=sys.stderr)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()

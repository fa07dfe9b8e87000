"""`vlcmsim` command line: load a scenario, serve HTTPS (REST /api, SOAP /sdk, admin /sim)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from . import certs, scenarios
from .server import App, Server


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="vlcmsim", description="Embedded vCenter simulator (vLCM REST + SOAP).")
    p.add_argument("--scenario", default="demo", help="tiny, demo, fleet, promotion_target, rolling, livepatch, livepatch91 or a path to a scenario YAML file")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8989, help="port (default 8989; 0 = any free port)")
    p.add_argument("--time-scale", type=float, default=None,
                   help="multiplier of the scenario's realistic durations (default: scenario's, else 0.001)")
    p.add_argument("--state-dir", default=".state/vlcmsim", help="where certificates and server.json go")
    p.add_argument("--username", default=None, help="login user (default administrator@vsphere.local)")
    p.add_argument("--password", default=None, help="login password (default VMware1!)")
    p.add_argument("--insecure-http", action="store_true", help="serve plain HTTP instead of HTTPS")
    p.add_argument("--tls-flaw", choices=certs.FLAWS, default=None,
                   help="serve a bad certificate for tests of refusal: expired, or wrong-name (not for this address)")
    p.add_argument("--threads", type=int, default=64, help="server worker threads (default 64)")
    p.add_argument("--log-level", default="WARNING")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.time_scale is not None and args.time_scale <= 0:
        print("vlcmsim: --time-scale must be > 0", file=sys.stderr)
        return 2
    state_dir = Path(args.state_dir).resolve()

    def loader() -> Any:
        world = scenarios.load(args.scenario)
        if args.time_scale is not None:
            world.time_scale = args.time_scale
        if args.username:
            world.username = args.username
        if args.password:
            world.password = args.password
        world.state_dir = str(state_dir)
        return world

    try:
        world = loader()
    except scenarios.ScenarioError as exc:
        print(f"vlcmsim: {exc}", file=sys.stderr)
        return 2
    state_dir.mkdir(parents=True, exist_ok=True)
    cert = key = None
    ca = ""
    if not args.insecure_http:
        ca, cert, key = certs.ensure(state_dir, args.host, flaw=args.tls_flaw)
    app = App(world, loader)
    try:
        server = Server(app, args.host, args.port, cert, key, threads=args.threads)
    except OSError as exc:
        print(f"vlcmsim: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    scheme = "http" if args.insecure_http else "https"
    host_for_url = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
    url = f"{scheme}://{host_for_url}:{server.port}"
    info = {"url": url, "host": host_for_url, "port": server.port, "username": world.username,
            "password": world.password, "ca": ca or None, "pid": os.getpid(), "scenario": world.scenario_name}
    tmp = state_dir / "server.json.tmp"
    tmp.write_text(json.dumps(info, indent=2))
    tmp.replace(state_dir / "server.json")

    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("vlcmsim ready", flush=True)
    print(f"url: {url}")
    print(f"username: {world.username}")
    print(f"password: {world.password}")
    print(f"ca: {ca}" if ca else "ca: (none: plain HTTP)")
    print(f"scenario: {world.scenario_name} ({len(world.clusters)} clusters, {len(world.hosts)} hosts, "
          f"{len(world.vms)} VMs), time scale {world.time_scale}", flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        try:
            (state_dir / "server.json").unlink()
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m benchmarks {push,idle,apply,delivery,nonreaders,smoke}``: run a scenario, print
the figures side by side.

Every scenario runs each target in turn in the same invocation (same machine state, same load
generator), repeats that ``--rounds`` times and prints the median of each figure, with
liveevent's ratio to each peer (or, without liveevent, the last target's ratio to the others).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import math
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp

from benchmarks import apply, delivery, floods, idle, osinfo, push, report, targets

ALL_TARGETS = ("floor", "node", "liveevent")
# Also "liveevent-hires" (each "push" a hire: the positions-remaining update, issue 16),
# "liveevent3" (three nodes, one store) and "liveevent-base" (an earlier commit, from the
# checkout named by LIVEEVENT_BASE_DIR, for before/after figures from one run).

Runner = Callable[[str, osinfo.Layout, aiohttp.ClientSession], Awaitable[dict[str, float]]]


def _layout(args: argparse.Namespace) -> osinfo.Layout:
    default = osinfo.default_layout()
    server = (
        default.server_cpus if args.server_cpus is None else osinfo.parse_cpus(args.server_cpus)
    )
    loadgen = (
        default.loadgen_cpus if args.loadgen_cpus is None else osinfo.parse_cpus(args.loadgen_cpus)
    )
    store = None if args.store_cpus is None else osinfo.parse_cpus(args.store_cpus)
    return osinfo.Layout(server, loadgen, store)


def _server_env(args: argparse.Namespace) -> dict[str, str]:
    """``--server-env KEY=VALUE`` pairs (e.g. ``LIVEEVENT_WORKERS=2``); peers ignore them."""
    pairs = [item.partition("=") for item in args.server_env or []]
    return {key: value for key, _, value in pairs if key}


def _targets(text: str, *, skip_missing: bool) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    chosen = []
    for name in names:
        targets.check_name(name)  # fail on a typo before anything starts
        if targets.available(name):
            chosen.append(name)
        elif skip_missing:
            print(f"note: {name} is not available here; skipped", file=sys.stderr)
        else:
            raise targets.TargetError(f"{name} is not available (see BENCHMARKS.md)")
    return chosen


async def _rounds(
    names: Sequence[str], rounds: int, layout: osinfo.Layout, run: Runner
) -> dict[str, dict[str, float]]:
    """Run every target ``rounds`` times, interleaved; return the median figures per target."""
    osinfo.pin_self(layout.loadgen_cpus)
    per_target: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for r in range(rounds):
            for name in names:
                print(f"[round {r + 1}/{rounds}] {name} ...", file=sys.stderr, flush=True)
                figures = await run(name, layout, session)
                per_target[name].append(figures)
                brief = ", ".join(f"{k}={v:.1f}" for k, v in list(figures.items())[:6])
                print(f"    {brief}", file=sys.stderr, flush=True)
    return {n: report.median_figures(per_target[n]) for n in names}


def _emit(
    kind: str,
    meta: dict[str, object],
    results: dict[str, dict[str, float]],
    ratio_rows: Sequence[str],
    args: argparse.Namespace,
) -> None:
    for key, value in meta.items():
        print(f"{key}: {value}")
    print()
    print(report.table(results, ratio_rows=ratio_rows))
    if getattr(args, "markdown", False):
        print()
        print(report.markdown(results, ratio_rows=ratio_rows))
    if args.json:
        Path(args.json).write_text(report.as_json(kind, meta, results))


def _meta(args: argparse.Namespace, layout: osinfo.Layout, **extra: object) -> dict[str, object]:
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": osinfo.machine(),
        "layout": layout.describe(),
        # Other work on the box skews every figure; the ratios (same run, interleaved) less so.
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "command": "python -m benchmarks " + " ".join(sys.argv[1:]),
        "liveevent revision": osinfo.revision("liveevent"),
        **extra,
        "rounds": f"{args.rounds} (figures are medians over rounds)",
    }


def cmd_push(args: argparse.Namespace) -> int:
    layout = _layout(args)
    plan = push.PushPlan(
        viewers=args.viewers,
        pushes=args.pushes,
        warmup=args.warmup,
        workers=args.workers,
        gap_s=args.gap,
        connect_concurrency=args.connect_concurrency,
        apply_rate=args.apply_rate,
        flooders=args.flooders,
        staff_pages=args.staff_pages,
        server_env=_server_env(args),
    )
    names = _targets(args.targets, skip_missing=args.skip_missing)
    if args.questions and "liveevent-questions" not in names:
        names.append("liveevent-questions")
    if args.versus_idle and not (args.apply_rate or args.flooders or args.staff_pages):
        raise SystemExit("--versus-idle needs --apply-rate, --flooders or --staff-pages")
    rounds_run: dict[str, int] = {}

    async def run(
        name: str, lay: osinfo.Layout, session: aiohttp.ClientSession
    ) -> dict[str, float]:
        if args.versus_idle:
            order = rounds_run[name] = rounds_run.get(name, -1) + 1
            return await push.versus_idle(name, plan, lay, session, order)
        return await push.run_target(name, plan, lay, session)

    results = asyncio.run(_rounds(names, args.rounds, layout, run))
    meta = _meta(
        args,
        layout,
        viewers=args.viewers,
        pushes=f"{args.pushes} measured (+{args.warmup} warm-up) per round",
        background_applies=f"{args.apply_rate}/s over websockets" if args.apply_rate else "none",
        flooders=f"{args.flooders} sockets, tiny frames, never reading"
        if args.flooders
        else "none",
        staff_pages=f"{args.staff_pages} (live numbers socket; chart and list page every 3 s)"
        if args.staff_pages
        else "none",
        versus_idle="each round also runs idle, back to back" if args.versus_idle else "no",
        loadgen_workers=plan.worker_count(),
    )
    ratio_rows = push.VERSUS_IDLE_RATIO_FIGURES if args.versus_idle else push.RATIO_FIGURES
    question_ratios = push.question_ratios(results)
    if question_ratios:
        meta["questions vs cards (same run)"] = ", ".join(
            f"{name} {value:.2f}x" for name, value in question_ratios.items()
        )
    _emit("push", meta, results, ratio_rows, args)
    return 0


def cmd_idle(args: argparse.Namespace) -> int:
    layout = _layout(args)
    plan = idle.IdlePlan(
        viewers=args.viewers,
        workers=args.workers,
        hold_s=args.hold,
        connect_concurrency=args.connect_concurrency,
        server_env=_server_env(args),
    )
    names = _targets(args.targets, skip_missing=args.skip_missing)

    async def run(
        name: str, lay: osinfo.Layout, session: aiohttp.ClientSession
    ) -> dict[str, float]:
        return await idle.run_target(name, plan, lay, session)

    results = asyncio.run(_rounds(names, args.rounds, layout, run))
    meta = _meta(args, layout, viewers=args.viewers, hold=f"{args.hold} s")
    _emit("idle", meta, results, idle.RATIO_FIGURES, args)
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    layout = _layout(args)
    plan = apply.ApplyPlan(
        transport=args.transport,
        rate=args.rate,
        seconds=args.seconds,
        connections=args.connections,
        workers=args.workers,
        server_env=_server_env(args),
        forwarded_for=args.forwarded_for,
    )
    if args.forwarded_for and args.transport != "http":
        raise SystemExit("--forwarded-for needs --transport http")
    names = _targets(args.targets, skip_missing=args.skip_missing)

    async def run(
        name: str, lay: osinfo.Layout, session: aiohttp.ClientSession
    ) -> dict[str, float]:
        return await apply.run_target(name, plan, lay, session)

    results = asyncio.run(_rounds(names, args.rounds, layout, run))
    meta = _meta(
        args,
        layout,
        transport=args.transport,
        rate=f"{args.rate}/s offered",
        seconds=args.seconds,
        forwarded_for=args.forwarded_for or "none",
    )
    _emit("apply", meta, results, apply.RATIO_FIGURES, args)
    return 0


def cmd_delivery(args: argparse.Namespace) -> int:
    """Viewers reconnecting and resuming during pushes: duplicates and gaps per round (0, 0)."""
    layout = _layout(args)
    osinfo.pin_self(layout.loadgen_cpus)

    async def run() -> list[delivery.Tally]:
        tallies = []
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for r in range(args.rounds):
                print(f"[round {r + 1}/{args.rounds}] liveevent ...", file=sys.stderr, flush=True)
                tallies.append(
                    await delivery.run_liveevent(
                        seconds=args.seconds,
                        viewers=args.viewers,
                        layout=layout,
                        session=session,
                        server_env=_server_env(args),
                    )
                )
        return tallies

    tallies = asyncio.run(run())
    meta = _meta(
        args,
        layout,
        viewers=f"{args.viewers}, each reconnecting every 0.05-0.6 s, 70% resuming",
        pushes="one card every 0-30 ms",
        seconds=args.seconds,
    )
    meta["rounds"] = f"{args.rounds}, each on a fresh server"
    for key, value in meta.items():
        print(f"{key}: {value}")
    print()
    names = list(tallies[0].figures()) if tallies else []
    header = ["round", *names]
    lines = [
        [str(r + 1), *(f"{int(v):,}" for v in t.figures().values())] for r, t in enumerate(tallies)
    ]
    total = {n: sum(t.figures()[n] for t in tallies) for n in names}
    lines.append(["total", *(f"{int(v):,}" for v in total.values())])
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    for row in [header, *lines]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    if args.markdown:
        print()
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in lines:
            print("| " + " | ".join(row) + " |")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "kind": "delivery",
                    **{k: str(v) for k, v in meta.items()},
                    "per_round": [t.figures() for t in tallies],
                    "total": total,
                },
                indent=2,
            )
        )
    bad = total.get("duplicates", 0) + total.get("gaps", 0) + total.get("wrong", 0)
    return 0 if tallies and bad == 0 else 1


def cmd_nonreaders(args: argparse.Namespace) -> int:
    layout = _layout(args)
    plan = floods.NonReaderPlan(
        sockets=args.sockets,
        seconds=args.seconds,
        settle_s=args.settle,
        server_env=_server_env(args),
    )
    names = _targets(args.targets, skip_missing=args.skip_missing)

    async def run(
        name: str, lay: osinfo.Layout, session: aiohttp.ClientSession
    ) -> dict[str, float]:
        return await floods.run_nonreaders(name, plan, lay, session)

    results = asyncio.run(_rounds(names, args.rounds, layout, run))
    meta = _meta(
        args,
        layout,
        sockets=f"{args.sockets}, each sending 1 KB pings and never reading",
        seconds=args.seconds,
        settle=f"{args.settle} s after they closed",
    )
    _emit("nonreaders", meta, results, floods.RATIO_FIGURES, args)
    return 0


def cmd_smoke(args: argparse.Namespace) -> int:
    """A tiny push and apply run (~10 s) so CI notices when the harness breaks."""
    layout = osinfo.Layout(None, None)  # CI machines vary; pinning is for real runs
    names = _targets("floor,node,liveevent", skip_missing=True)
    plan = push.PushPlan(viewers=args.viewers, pushes=2, warmup=1, gap_s=0.05)
    apply_plan = apply.ApplyPlan(transport="ws", rate=50, seconds=1, connections=5, workers=1)

    async def run(
        name: str, lay: osinfo.Layout, session: aiohttp.ClientSession
    ) -> dict[str, float]:
        figures = await push.run_target(name, plan, lay, session)
        if name != "node":  # the node peer fans out only; it takes no applications
            applied = await apply.run_target(name, apply_plan, lay, session)
            figures.update({f"apply {k}": v for k, v in applied.items()})
        return figures

    results = asyncio.run(_rounds(names, 1, layout, run))
    meta = _meta(argparse.Namespace(rounds=1), layout, viewers=args.viewers)
    _emit("smoke", meta, results, push.RATIO_FIGURES, args)
    ok = all(
        r["viewers connected"] == args.viewers
        and not math.isnan(r["push p99 ms"])
        and r["missing receipts"] == 0
        for r in results.values()
    )
    return 0 if ok else 1


def cmd_show(args: argparse.Namespace) -> int:
    """Print a saved ``--json`` result as a Markdown table (for BENCHMARKS.md)."""
    saved = json.loads(Path(args.file).read_text())
    ratio_rows = {
        "push": push.RATIO_FIGURES,
        "idle": idle.RATIO_FIGURES,
        "apply": apply.RATIO_FIGURES,
        "nonreaders": floods.RATIO_FIGURES,
    }.get(saved["kind"], push.RATIO_FIGURES)
    if saved.get("versus_idle", "no") != "no":
        ratio_rows = push.VERSUS_IDLE_RATIO_FIGURES
    for key, value in saved.items():
        if key not in ("kind", "results"):
            print(f"- {key}: {value}")
    print()
    print(report.markdown(saved["results"], ratio_rows=ratio_rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, targets_default: str) -> None:
        p.add_argument(
            "--targets",
            default=targets_default,
            help=f"comma-separated, from {', '.join(ALL_TARGETS)}",
        )
        p.add_argument("--rounds", type=int, default=1, help="repeat; report medians")
        p.add_argument(
            "--workers", type=int, default=0, help="load generator processes (0: automatic)"
        )
        p.add_argument("--server-cpus", help="e.g. 0 or 0-1 or any (default: first CPU)")
        p.add_argument(
            "--store-cpus",
            help="move liveevent's embedded store here after start, e.g. 1 (default: it stays "
            "on the server's CPUs)",
        )
        p.add_argument("--loadgen-cpus", help="e.g. 1 or any (default: second CPU)")
        p.add_argument(
            "--skip-missing",
            action="store_true",
            help="skip targets not available here instead of failing",
        )
        p.add_argument("--json", help="also write the figures to this JSON file")
        p.add_argument("--markdown", action="store_true", help="also print a Markdown table")
        p.add_argument(
            "--server-env",
            action="append",
            metavar="KEY=VALUE",
            help="extra environment for the server, e.g. LIVEEVENT_WORKERS=2 (repeatable; "
            "server CPU and RSS then cover its main process only)",
        )

    p = sub.add_parser("push", help="card push-to-receipt latency with N viewers")
    common(p, ",".join(ALL_TARGETS))
    p.add_argument("--viewers", type=int, default=1000)
    p.add_argument("--pushes", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--gap", type=float, default=0.3, help="seconds between pushes")
    p.add_argument(
        "--apply-rate",
        type=int,
        default=0,
        help="applications/s offered over websockets while pushing (floor, liveevent only)",
    )
    p.add_argument(
        "--flooders",
        type=int,
        default=0,
        help="sockets flooding tiny frames and never reading while pushing (liveevent only)",
    )
    p.add_argument(
        "--staff-pages",
        type=int,
        default=0,
        help="open staff pages while pushing: live numbers, chart and list (liveevent only)",
    )
    p.add_argument(
        "--versus-idle",
        action="store_true",
        help="with --apply-rate, --flooders or --staff-pages: run each round idle too, back "
        "to back, and report both",
    )
    p.add_argument(
        "--connect-concurrency",
        type=int,
        default=50,
        help="handshakes in flight per load generator process",
    )
    p.add_argument(
        "--questions",
        action="store_true",
        help="also run the target liveevent-questions: approved questions on the card, "
        "published to the viewers instead of cards, in the same run as the floor and card "
        "pushes (issue 17 part 2)",
    )
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("idle", help="hold N idle viewers; server RSS per viewer")
    common(p, ",".join(ALL_TARGETS))
    p.add_argument("--viewers", type=int, default=10_000)
    p.add_argument("--hold", type=float, default=10.0, help="seconds to hold them")
    p.add_argument(
        "--connect-concurrency",
        type=int,
        default=50,
        help="handshakes in flight per load generator process",
    )
    p.set_defaults(func=cmd_idle)

    p = sub.add_parser("apply", help="N applications/s; apply-to-ack latency and throughput")
    common(p, "liveevent")
    p.add_argument("--transport", choices=("ws", "http"), default="ws")
    p.add_argument("--rate", type=int, default=1000, help="applications per second offered")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument(
        "--connections",
        type=int,
        default=200,
        help="websockets (or HTTP connections) the applies are spread over",
    )
    p.add_argument(
        "--forwarded-for",
        type=int,
        default=0,
        metavar="N",
        help="HTTP: send X-Forwarded-For with N distinct client addresses, liveevent trusting "
        "the load generator as its proxy (trusted_proxies); compare with a run without it",
    )
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser(
        "delivery", help="viewers reconnecting during pushes: duplicates and gaps (liveevent)"
    )
    p.add_argument("--seconds", type=float, default=60.0, help="pushing time per round")
    p.add_argument("--rounds", type=int, default=3, help="rounds, each on a fresh server")
    p.add_argument("--viewers", type=int, default=20, help="viewers reconnecting at once")
    p.add_argument("--server-cpus", help="e.g. 0 or 0-1 or any (default: first CPU)")
    p.add_argument("--store-cpus", help="move the embedded store here after start")
    p.add_argument("--loadgen-cpus", help="e.g. 1 or any (default: second CPU)")
    p.add_argument("--server-env", action="append", metavar="KEY=VALUE")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    p.set_defaults(func=cmd_delivery)
    p = sub.add_parser(
        "nonreaders", help="N sockets that never read: server RSS before, at peak, after"
    )
    common(p, "liveevent")
    p.add_argument("--sockets", type=int, default=40)
    p.add_argument("--seconds", type=float, default=5.0, help="how long they send")
    p.add_argument("--settle", type=float, default=3.0, help="seconds after they close")
    p.set_defaults(func=cmd_nonreaders)

    p = sub.add_parser("smoke", help="a ~10 s run of every scenario path, for CI")
    p.add_argument("--viewers", type=int, default=20)
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.set_defaults(func=cmd_smoke)

    p = sub.add_parser("show", help="print a saved --json result as a Markdown table")
    p.add_argument("file")
    p.set_defaults(func=cmd_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except targets.TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

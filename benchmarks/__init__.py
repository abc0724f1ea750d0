"""Benchmarks for liveevent against its peers, driven by one load generator.

Layout:

    cli.py        python -m benchmarks {push,idle,apply,smoke}
    push.py       card push-to-receipt latency with N viewers
    idle.py       N idle viewers: server RSS per viewer
    apply.py      applications per second: apply-to-ack latency and throughput
    targets.py    adapters: the floor peer, the Node ws peer, liveevent
    viewers.py    viewer worker process (many sockets, receipt timestamps)
    applier.py    apply worker process (websocket or HTTP)
    wsclient.py   the lean websocket client both workers use
    channel.py    controller <-> worker line protocol
    osinfo.py     taskset pinning, /proc RSS and CPU time, machine description
    stats.py      percentiles; report.py: the side-by-side table
    peers/        floor.py (Python floor) and node_ws/ (Node.js ws)
"""

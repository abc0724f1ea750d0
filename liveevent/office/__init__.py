"""The fair's back office: what happens around and after the broadcast.

Jobs in from HR sheets, outcomes in from employers' sheets, reports out (applications, hires,
the per-push breakdown, the cross-event summary) as CSV or XLSX. Used by both the web layer and
the CLI, so nothing here knows about HTTP: it reads and writes through ``liveevent.store`` and
formats with the pure ``liveevent.tables``; a ``TableError`` becomes ``InvalidInput`` here.

    domain <- store <- office <- web, cli
"""

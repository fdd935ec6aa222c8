"""Benchmark of bulk import and export (issue 7).

Import: generates a file of valid users (CSV, and the same rows as XLSX) and times it end to
end, from the upload (the file read, hashed and stored in the database, its header matched) to
the import committed: the worker's count of the rows, the check of every row against the
organization, and the one transaction that writes them. Each run starts from a fresh database
with the organization, its units and teams; the rows create new users (the heaviest case: every
row is written) with their org unit, teams, phone and birthday.

Export: streams the organization's users, in the export's CSV, through the same code as
``GET /api/v1/users/export``, in a child process per size, and reports the child's peak
resident memory: it must not grow with the row count.

    .venv/bin/python bench/import_users.py --db both --rows 100000 --export-rows 100000,1000000

Bars (issue 7): 100,000 CSV rows under 20 s, the same as XLSX under 40 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console

from bench import seed as seeding
from bench.generate import People
from usher.db.engine import unit_of_work

console = Console()
DATA_DIR = seeding.DATA_DIR
HEADER = [
    "First name",
    "Last name",
    "Email",
    "Personal email",
    "Phone",
    "Gender",
    "Birthday",
    "Department",
    "Job title",
    "Teams",
]
BARS = {"csv": 20.0, "xlsx": 40.0}


def unit_names() -> list[str]:
    return [sub for subs in seeding.UNITS.values() for sub in subs] + list(seeding.UNITS)


def generate(rows: int, fmt: str) -> Path:
    """The file of ``rows`` valid users (kept in bench/.data and reused)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"import_{rows}.{fmt}"
    if path.exists():
        return path
    import uuid

    rng = random.Random(7)
    people = People(rng, organization_id=uuid.uuid4(), org_domains=(("northwind.example", 1),))
    units = unit_names()
    teams = list(seeding.TEAMS)

    def lines() -> Any:
        yield HEADER
        for _ in range(rows):
            row = people.row()
            yield [
                row["first_name"],
                row["last_name"],
                row["email"],
                row["personal_email"] or "",
                row["phone"] or "",
                row["gender"].value,
                row["birthday"].isoformat() if row["birthday"] else "",
                rng.choice(units) if rng.random() < 0.9 else "",
                row["position"] or "",
                "; ".join(rng.sample(teams, rng.choice((0, 0, 1, 1, 2)))),
            ]

    tmp = path.with_suffix(".part")
    if fmt == "csv":
        with tmp.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(lines())
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Users")
        for line in lines():
            sheet.append(line)
        book.save(tmp)
    tmp.rename(path)
    return path


def fresh_org(target: seeding.Target) -> tuple[Any, Any, Any]:
    """A new database with one organization, its active admin, its units and teams."""
    from usher.kit.client import CLI_CLIENT
    from usher.models.user import UserStatus
    from usher.orgs.service import create_org_unit, create_organization
    from usher.teams.service import create_team

    seeding.create(target)
    app = seeding.build_app(target)
    with unit_of_work(app.state.session_factory) as session:
        made = create_organization(
            session, name="Northwind", admin_email="ada@northwind.example", client=CLI_CLIENT
        )
        admin = made.admin
        admin.status = UserStatus.active
        session.flush()
        for parent, subs in seeding.UNITS.items():
            top = create_org_unit(session, admin, name=parent, parent_id=None, client=CLI_CLIENT)
            for sub in subs:
                create_org_unit(session, admin, name=sub, parent_id=top.id, client=CLI_CLIENT)
        for name in seeding.TEAMS:
            create_team(session, admin, name=name, description="", client=CLI_CLIENT)
        org_slug, admin_id = made.organization.slug, admin.id
    return app, org_slug, admin_id


def time_import(target: seeding.Target, path: Path) -> dict[str, Any]:
    from usher.imports import service
    from usher.imports.runner import ImportRunner
    from usher.imports.schemas import ImportOptions
    from usher.kit.client import CLI_CLIENT
    from usher.models import User
    from usher.models.user_import import ImportAction

    app, _slug, admin_id = fresh_org(target)
    factory = app.state.session_factory
    marks: dict[str, float] = {}
    phases: list[tuple[str, float]] = []

    def progress(done: int, total: int | None) -> None:
        if done == 0:
            phases.append(("counted", time.perf_counter()))
        elif total and done == total:
            phases.append(("checked", time.perf_counter()))

    started = time.perf_counter()
    with unit_of_work(factory) as session, path.open("rb") as handle:
        admin = session.get(User, admin_id)
        upload = service.upload(
            session,
            admin,
            file=handle,
            filename=path.name,
            options=ImportOptions(),
            mapping=None,
            action=ImportAction.apply,
            client=CLI_CLIENT,
        )
        import_id = upload.imp.id
    marks["uploaded"] = time.perf_counter()
    ImportRunner(factory, app.state.settings, on_progress=progress).run_once(import_id)
    marks["committed"] = time.perf_counter()
    with unit_of_work(factory) as session:
        imp = service.get_import(session, session.get(User, admin_id), import_id)
        status, counts, error = imp.status.value, dict(imp.counts), imp.error
    marks.update(dict(phases))
    app.state.engine.dispose()
    return {
        "status": status,
        "error": error,
        "counts": counts,
        "upload_s": marks["uploaded"] - started,
        "count_s": marks.get("counted", marks["uploaded"]) - marks["uploaded"],
        "check_s": marks.get("checked", marks["committed"]) - marks.get("counted", started),
        "write_s": marks["committed"] - marks.get("checked", marks["committed"]),
        "total_s": marks["committed"] - started,
    }


# --- export ----------------------------------------------------------------------------------


def export_child(url: str, fmt: str) -> None:
    """In a child process: export every user of the seeded organization; print the figures."""
    from usher.kit.client import CLI_CLIENT
    from usher.kit.spreadsheet import SheetFormat
    from usher.models import User
    from usher.users import export
    from usher.users.service import UserFilters

    target = seeding.Target("postgresql" if url.startswith("postgresql") else "sqlite", url, url)
    app = seeding.build_app(target)
    seeded = seeding.find_seeded(app)
    assert seeded is not None, "no seeded organization"
    factory = app.state.session_factory
    baseline_kib = _peak_kib()  # the app loaded, nothing exported yet
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        actor = session.get(User, seeded.admin_id)
        job = export.start_export(
            session, actor, filters=UserFilters(), format=SheetFormat(fmt), client=CLI_CLIENT
        )
    written = 0
    with open(os.devnull, "wb") as sink:
        for chunk in export.export_file(factory, job):
            written += len(chunk)
            sink.write(chunk)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": job.total,
                "bytes": written,
                "seconds": elapsed,
                "baseline_kib": baseline_kib,
                "peak_kib": _peak_kib(),
            }
        )
    )


def _peak_kib() -> int:
    """This process's peak resident memory (VmHWM). Not ``ru_maxrss``: on Linux that survives
    the exec of a child, so it reports the parent's peak (the seeding's, here)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def time_export(backend: str, rows: int, server: str, fmt: str) -> dict[str, Any]:
    target = (
        seeding.sqlite_target(rows)
        if backend == "sqlite"
        else seeding.postgres_target(server, rows)
    )
    if not seeding.exists(target):
        console.print(f"Seeding {rows:,} users on {target.title} (kept for next time)…")
        seeding.create(target)
        app = seeding.build_app(target)
        seeding.seed(app, target, users=rows, other_users=1000)
        app.state.engine.dispose()
    result = subprocess.run(
        [sys.executable, __file__, "--export-child", target.url, "--export-format", fmt],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the import file")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument(
        "--export-rows", default="100000,1000000", help="organization sizes to export ('' skips)"
    )
    parser.add_argument("--postgres", default=seeding.DEFAULT_POSTGRES)
    parser.add_argument("--export-formats", default="csv", help="formats to export (csv,xlsx)")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    parser.add_argument("--export-format", default="csv", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.export_child:
        export_child(args.export_child, args.export_format)
        return
    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    console.print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs"
    )
    lines = [
        "| Engine | File | Rows | Upload | Count | Check | Write | Total | Bar |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for fmt in [f for f in args.formats.split(",") if f]:
        path = generate(args.rows, fmt)
        for backend in backends:
            target = (
                seeding.sqlite_target(0, DATA_DIR / "import")
                if backend == "sqlite"
                else seeding.postgres_target(args.postgres, 0)
            )
            (DATA_DIR / "import").mkdir(parents=True, exist_ok=True)
            target = seeding.Target(
                target.backend,
                target.url.replace("usher_bench_0", "usher_bench_import"),
                target.label.replace("usher_bench_0", "usher_bench_import"),
                target.server,
            )
            r = time_import(target, path)
            ok = r["status"] == "completed" and r["total_s"] < BARS[fmt]
            console.print(
                f"{target.title} {fmt.upper()} {args.rows:,} rows: {r['status']} "
                f"created={r['counts'].get('created')} upload {r['upload_s']:.1f}s, "
                f"count {r['count_s']:.1f}s, check {r['check_s']:.1f}s, "
                f"write {r['write_s']:.1f}s, total {r['total_s']:.1f}s "
                f"(bar {BARS[fmt]:.0f}s: {'OK' if ok else 'NOT MET'})"
                + (f" error: {r['error']}" if r["error"] else "")
            )
            lines.append(
                f"| {target.title} | {fmt.upper()} | {args.rows:,} | {r['upload_s']:.1f} s | "
                f"{r['count_s']:.1f} s | {r['check_s']:.1f} s | {r['write_s']:.1f} s | "
                f"**{r['total_s']:.1f} s** | {'met' if ok else 'NOT met'} (< {BARS[fmt]:.0f} s) |"
            )
            seeding.drop(target)
    sizes = [int(s) for s in args.export_rows.split(",") if s]
    if sizes:
        lines += [
            "",
            "| Engine | Format | Users exported | Time | File size | RSS before | Peak RSS |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for backend in backends:
            for fmt in [f for f in args.export_formats.split(",") if f]:
                for size in sizes:
                    r = time_export(backend, size, args.postgres, fmt)
                    title = "SQLite" if backend == "sqlite" else "PostgreSQL"
                    console.print(
                        f"{title} {fmt.upper()} export of {r['rows']:,} users: "
                        f"{r['seconds']:.1f}s, {r['bytes'] / 1e6:.0f} MB, peak RSS "
                        f"{r['peak_kib'] / 1024:.0f} MiB (before the export "
                        f"{r['baseline_kib'] / 1024:.0f} MiB)"
                    )
                    lines.append(
                        f"| {title} | {fmt.upper()} | {r['rows']:,} | {r['seconds']:.1f} s | "
                        f"{r['bytes'] / 1e6:.0f} MB | {r['baseline_kib'] / 1024:.0f} MiB | "
                        f"{r['peak_kib'] / 1024:.0f} MiB |"
                    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()

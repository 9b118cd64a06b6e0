"""`verify-objection archive …`: look into the evidence archive, export a mail, re-check every stored mail's hash."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def _open(obj: dict, archive_path: str | None):
    from verifier.config import load_settings, resolve_config_path
    from verifier.evidence.archive import Archive, resolve_archive_path

    settings = load_settings(resolve_config_path(obj["config_path"]), must_exist=False)
    return Archive.open(resolve_archive_path(archive_path, settings.archive.path), create=False)


def _record(archive, key: str):
    from verifier.errors import ConfigError

    record = archive.get(key)
    if record is None:
        raise ConfigError(
            f"No single archived mail matches {key!r}: use a number from `verify-objection archive list`."
        )
    return record


@click.group()
@click.option("--archive", "archive_path", type=click.Path(dir_okay=False), help="Evidence archive file.")
@click.pass_context
def archive(ctx: click.Context, archive_path: str | None) -> None:
    """The evidence archive: every confirmation, receipt, code and rejection seen, kept with its evidence record."""
    ctx.obj = {**(ctx.obj or {}), "archive_path": archive_path}


@archive.command("list")
@click.pass_obj
def list_(obj: dict) -> None:
    """One line per archived mail: number, date, kind, origin, sender, subject."""
    with _open(obj, obj["archive_path"]) as store:
        records = store.records()
        click.echo(f"{store.path}: {len(records)} mail(s)")
        for r in records:
            sent = r.sent_at.strftime("%Y-%m-%d") if r.sent_at else "?"
            line = f"{r.id:>4}  {sent}  {r.kind.value:<12} {r.trust.value:<10} {r.sender}  {r.subject}"
            click.echo(" ".join(line.split("\n")))


@archive.command()
@click.argument("key")
@click.pass_obj
def show(obj: dict, key: str) -> None:
    """The evidence record of one mail (by number or SHA-256 prefix), as JSON."""
    with _open(obj, obj["archive_path"]) as store:
        click.echo(_record(store, key).model_dump_json(indent=2))


@archive.command()
@click.argument("key")
@click.option("--eml", "target", type=click.Path(dir_okay=False), help="Where to write the mail.")
@click.option(
    "--bundle",
    type=click.Path(file_okay=False),
    help="Write a folder anyone can check without this tool: mail, DKIM key record, timestamps, README.",
)
@click.pass_obj
def export(obj: dict, key: str, target: str | None, bundle: str | None) -> None:
    """Write one archived mail, byte for byte, as an .eml file (--eml) or as a checkable bundle (--bundle)."""
    from verifier.errors import ConfigError
    from verifier.privatefile import SHARED, write_atomically

    if not target and not bundle:
        raise click.UsageError("Say where to: --eml FILE or --bundle DIR.")
    with _open(obj, obj["archive_path"]) as store:
        record = _record(store, key)
        raw = store.raw(record.id or 0)
        if bundle:
            from verifier.evidence.bundle import write_bundle

            try:
                names = write_bundle(store, record, Path(bundle))
            except OSError as err:
                raise ConfigError(f"{bundle}: cannot write the bundle ({err.strerror}).") from None
            click.echo(f"{bundle}: {', '.join(names)} (see README.txt there)")
            if not target:
                return
    try:
        write_atomically(Path(target), raw, mode=SHARED)
    except OSError as err:
        raise ConfigError(f"{target}: cannot write ({err.strerror}).") from None
    click.echo(f"{target}: {len(raw)} bytes, SHA-256 {record.sha256}")


@archive.command()
@click.pass_obj
def verify(obj: dict) -> None:
    """Offline: re-hash every mail, re-check its DKIM signatures against the keys as kept, validate its timestamps.

    Exit 1 if a mail was altered, no longer verifies against its kept key, or has a timestamp that does not hold."""
    from verifier.config import load_settings, resolve_config_path
    from verifier.evidence.audit import audit
    from verifier.i18n import Texts
    from verifier.render.audit import audit_lines, audit_summary

    settings = load_settings(resolve_config_path(obj["config_path"]), must_exist=False)
    with _open(obj, obj["archive_path"]) as store:
        results = audit(store, settings.archive.timestamp_ca_file)
    t = Texts(obj["lang"])
    for result in results:
        for line in audit_lines(result, t):
            click.echo(line)
    click.echo(audit_summary(results, t))
    sys.exit(1 if any(r.failed for r in results) else 0)
